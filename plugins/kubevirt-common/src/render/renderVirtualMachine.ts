import type { VirtualMachineRequest } from '../request/VirtualMachineRequest';
import {
  buildVirtualMachineObjects,
  BuildVirtualMachineOptions,
  KubernetesManifest,
} from './buildVirtualMachineObjects';
import { toYaml } from './serializeYaml';

/** Where a VM's files go in the GitOps repository by default. */
export const DEFAULT_PATH_TEMPLATE = 'clusters/{cluster}/{namespace}/{name}/';

/**
 * How a VM request becomes files.
 *
 * @public
 */
export interface RenderVirtualMachineOptions
  extends BuildVirtualMachineOptions {
  /**
   * Folder of the VM's files in the GitOps repository, with `{cluster}`, `{namespace}`
   * and `{name}` replaced (default `clusters/{cluster}/{namespace}/{name}/`).
   */
  pathTemplate?: string;
}

/**
 * A rendered VM: its objects and the files that hold them (path → YAML text),
 * including a `kustomization.yaml` listing the others.
 *
 * @public
 */
export interface RenderedVirtualMachine {
  objects: KubernetesManifest[];
  /** The folder all files are in, ending in `/`. */
  directory: string;
  files: Record<string, string>;
}

function directoryFor(
  template: string,
  request: VirtualMachineRequest,
): string {
  if (!/^[A-Za-z0-9._{}/-]+$/.test(template)) {
    throw new Error(
      `pathTemplate '${template.slice(
        0,
        80,
      )}' may only contain letters, digits, '.', '_', '-', '/' and the placeholders {cluster}, {namespace} and {name}`,
    );
  }
  const unknown = template
    .match(/\{[^}]*\}/g)
    ?.find(p => !['{cluster}', '{namespace}', '{name}'].includes(p));
  if (unknown)
    throw new Error(`pathTemplate has an unknown placeholder ${unknown}`);
  const path = template
    .replace(/\{cluster\}/g, request.cluster)
    .replace(/\{namespace\}/g, request.namespace)
    .replace(/\{name\}/g, request.name);
  const directory = path.endsWith('/') ? path : `${path}/`;
  const segments = directory.slice(0, -1).split('/');
  if (
    directory.startsWith('/') ||
    segments.some(s => s === '' || s === '.' || s === '..') ||
    /[{}]/.test(directory)
  ) {
    throw new Error(
      `pathTemplate gives '${directory}', which is not a relative folder inside the repository`,
    );
  }
  return directory;
}

function fileNameOf(object: KubernetesManifest): string {
  return object.kind === 'VirtualMachine'
    ? 'virtualmachine.yaml'
    : `${object.kind.toLowerCase()}-${object.metadata.name}.yaml`;
}

/**
 * Renders a validated VM request as Kubernetes objects and YAML files for a pull
 * request: `virtualmachine.yaml` (and `datavolume-<name>.yaml` per disk with
 * `dataVolumes: 'standalone'`) plus `kustomization.yaml`, in
 * `clusters/<cluster>/<namespace>/<name>/` by default. The objects are built as data
 * and serialised deterministically (see `toYaml`), so the same request always gives
 * the same bytes and every file parses back to exactly its object.
 *
 * @public
 */
export function renderVirtualMachine(
  request: VirtualMachineRequest,
  options: RenderVirtualMachineOptions = {},
): RenderedVirtualMachine {
  const directory = directoryFor(
    options.pathTemplate ?? DEFAULT_PATH_TEMPLATE,
    request,
  );
  const objects = buildVirtualMachineObjects(request, options);
  const files: Record<string, string> = {};
  const names = objects.map(fileNameOf);
  objects.forEach((object, index) => {
    files[`${directory}${names[index]}`] = toYaml(object);
  });
  files[`${directory}kustomization.yaml`] = toYaml({
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: names,
  });
  return { objects, directory, files };
}
