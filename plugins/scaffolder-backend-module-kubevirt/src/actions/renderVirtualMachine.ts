import type { AuditorService } from '@backstage/backend-plugin-api';
import {
  InputError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import {
  createTemplateAction,
  TemplateAction,
} from '@backstage/plugin-scaffolder-node';
import {
  KubernetesManifest,
  renderVirtualMachine,
  VirtualMachineRequest,
  VirtualMachineRequestError,
  VirtualMachineRequestProblem,
} from '@vmportal/plugin-kubevirt-common';
import {
  KubernetesApiError,
  KubevirtClustersService,
  VirtualMachineActor,
} from '@vmportal/plugin-kubevirt-node';
import path from 'node:path';
import {
  KubevirtGitopsConfig,
  pathTemplateProblem,
  repoUrlProblem,
} from '../lib/KubevirtGitopsConfig';
import { requestCluster } from '../lib/requestCluster';
import type { VirtualMachineRequestAdmission } from '../lib/VirtualMachineRequestAdmission';
import { visibleMessage } from '@vmportal/plugin-kubevirt-common';
import {
  relativeFolderProblem,
  writeWorkspaceFiles,
} from '../lib/writeWorkspaceFiles';
import { auditRequestRefusals } from '../lib/auditRequestRefusals';
import { examples } from './renderVirtualMachine.examples';
import {
  checkRequest,
  virtualMachineRequestInput,
} from './virtualMachineRequestInput';

const ACTION_FIELDS = [
  'pathTemplate',
  'targetPath',
  'allowOffline',
  'dataVolumes',
  'repoUrl',
];

/**
 * Options of {@link createRenderVirtualMachineAction}.
 *
 * @public
 */
export interface RenderVirtualMachineActionOptions {
  /** The clusters VMs can be requested on. */
  clusters: KubevirtClustersService;
  /** Who may request a VM where, and who reviews it (`kubevirt.requests`). */
  admission: VirtualMachineRequestAdmission;
  /** Where refused requests are audited (the scaffolder's auditor). */
  auditor: AuditorService;
  /** The GitOps repository and its layout (`kubevirt.gitops`). */
  gitops: KubevirtGitopsConfig;
}

function problem(field: string, message: string): VirtualMachineRequestError {
  return new VirtualMachineRequestError([{ field, message }]);
}

/** Turns the apiserver's refusal of a dry-run create into what the requester can do. */
function dryRunError(
  error: unknown,
  object: KubernetesManifest,
  request: VirtualMachineRequest,
): Error {
  const what = `${object.kind} ${object.metadata.name}`;
  const where = `namespace ${request.namespace} on cluster ${request.cluster}`;
  if (error instanceof KubernetesApiError && error.statusCode === 409) {
    return problem(
      object.kind === 'VirtualMachine' ? 'name' : 'disks',
      `a ${what} already exists in ${where}; choose another name`,
    );
  }
  if (error instanceof KubernetesApiError && error.statusCode === 422) {
    return new InputError(
      `The cluster refused the rendered ${what} in ${where}: ${visibleMessage(
        error.message,
      )}`,
    );
  }
  if (error instanceof NotAllowedError) {
    if (/exceeded quota|forbidden: exceeded/i.test(error.message)) {
      return new InputError(
        `The ${what} would exceed a quota of ${where}: ${visibleMessage(
          error.message,
        )}`,
      );
    }
    return new NotAllowedError(
      `The portal may not check the ${what} with a server-side dry run in ${where} (${error.message}); grant its service account create on virtualmachines and datavolumes (see the module README)`,
    );
  }
  if (error instanceof NotFoundError) {
    return new InputError(
      `Cannot check the ${what} in ${where}: ${visibleMessage(error.message)}`,
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** Dry-runs every object at once; the first refusal in file order, with its object. */
async function dryRunAll(
  actor: VirtualMachineActor,
  objects: KubernetesManifest[],
): Promise<{ error: unknown; object: KubernetesManifest } | undefined> {
  const results = await Promise.allSettled(
    objects.map(object => actor.dryRunCreate(object)),
  );
  const index = results.findIndex(result => result.status === 'rejected');
  if (index < 0) return undefined;
  return {
    error: (results[index] as PromiseRejectedResult).reason,
    object: objects[index],
  };
}

interface RenderOptions {
  pathTemplate: string;
  targetPath: string;
  repoUrl: string;
  allowOffline: boolean;
  dataVolumes?: 'templates' | 'standalone';
}

/** The action's own inputs, checked, with their defaults from config. */
function renderOptionsOf(
  input: Record<string, unknown>,
  gitops: KubevirtGitopsConfig,
): { options?: RenderOptions; problems: VirtualMachineRequestProblem[] } {
  const problems: VirtualMachineRequestProblem[] = [];
  const text = (field: string, fallback: string | undefined) => {
    const value = input[field];
    if (value === undefined) return fallback;
    if (typeof value === 'string') return value;
    problems.push({ field, message: 'must be text' });
    return undefined;
  };
  const pathTemplate = text('pathTemplate', gitops.pathTemplate);
  const pathProblem =
    pathTemplate !== undefined && pathTemplateProblem(pathTemplate);
  if (pathProblem)
    problems.push({ field: 'pathTemplate', message: pathProblem });
  const targetPath = text('targetPath', '.');
  const targetProblem =
    targetPath !== undefined && relativeFolderProblem(targetPath);
  if (targetProblem)
    problems.push({ field: 'targetPath', message: targetProblem });
  const repoUrl = text('repoUrl', gitops.repoUrl);
  if (repoUrl === undefined && input.repoUrl === undefined) {
    problems.push({
      field: 'repoUrl',
      message:
        'is not given and kubevirt.gitops.repoUrl is not configured; configure the GitOps repository (host?owner=o&repo=r)',
    });
  }
  const urlProblem = repoUrl !== undefined && repoUrlProblem(repoUrl);
  if (urlProblem) problems.push({ field: 'repoUrl', message: urlProblem });
  const allowOffline = input.allowOffline ?? false;
  if (typeof allowOffline !== 'boolean') {
    problems.push({ field: 'allowOffline', message: 'must be true or false' });
  }
  const dataVolumes = input.dataVolumes;
  if (
    dataVolumes !== undefined &&
    dataVolumes !== 'templates' &&
    dataVolumes !== 'standalone'
  ) {
    problems.push({
      field: 'dataVolumes',
      message: 'must be templates or standalone',
    });
  }
  if (
    problems.length > 0 ||
    pathTemplate === undefined ||
    targetPath === undefined ||
    repoUrl === undefined
  ) {
    return { problems };
  }
  return {
    options: {
      pathTemplate,
      targetPath,
      repoUrl,
      allowOffline: allowOffline === true,
      ...(dataVolumes !== undefined && {
        dataVolumes: dataVolumes as RenderOptions['dataVolumes'],
      }),
    },
    problems,
  };
}

/**
 * The `kubevirt:vm:render` action: admits a VM request (see
 * {@link VirtualMachineRequestAdmission}), renders it as manifests (built as objects,
 * serialised deterministically) into the task workspace, checks every object with a
 * strict server-side dry run on its cluster, and outputs what
 * `publish:github:pull-request` needs, the reviewers included.
 *
 * @public
 */
export function createRenderVirtualMachineAction(
  options: RenderVirtualMachineActionOptions,
  // The inferred input and output types are generated from the request schema, and
  // their member order is not stable from one compilation to the next (the API report
  // flapped); the schema itself documents the action where it is listed.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): TemplateAction<any, any, any> {
  const { clusters, admission, gitops, auditor } = options;
  return createTemplateAction({
    id: 'kubevirt:vm:render',
    description:
      "Renders a virtual machine request as KubeVirt manifests (a VirtualMachine and a kustomization.yaml) in the GitOps repository's layout, checks them with a strict server-side dry run on the cluster, and outputs the repository, branch and reviewers for publish:github:pull-request.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        ...virtualMachineRequestInput,
        pathTemplate: z =>
          z
            .string()
            .optional()
            .describe(
              `Folder of the VM's files in the repository, with {cluster}, {namespace} and {name}; default kubevirt.gitops.pathTemplate (${gitops.pathTemplate})`,
            ),
        targetPath: z =>
          z
            .string()
            .optional()
            .describe(
              'Folder in the task workspace the repository layout starts at; default .',
            ),
        allowOffline: z =>
          z
            .boolean()
            .optional()
            .describe(
              'Write the files unchecked when the cluster is unreachable, instead of failing (default false)',
            ),
        dataVolumes: z =>
          z
            .enum(['templates', 'standalone'])
            .optional()
            .describe(
              "templates (default): disks as the VM's dataVolumeTemplates; standalone: separate DataVolume files",
            ),
        repoUrl: z =>
          z
            .string()
            .optional()
            .describe(
              'GitOps repository (host?owner=o&repo=r) to output; default kubevirt.gitops.repoUrl',
            ),
      },
      output: {
        files: z =>
          z
            .array(z.string())
            .describe('Paths of the written files, relative to the repository'),
        manifestPath: z =>
          z
            .string()
            .describe(
              "The VM's folder in the repository (targetPath of the PR)",
            ),
        sourcePath: z =>
          z
            .string()
            .describe(
              "The VM's folder in the workspace (sourcePath of the PR)",
            ),
        repoUrl: z => z.string().describe('The GitOps repository'),
        branchName: z =>
          z.string().describe('vm-request/<cluster>-<namespace>-<name>'),
        targetBranchName: z =>
          z
            .string()
            .describe('Branch the PR targets (kubevirt.gitops.defaultBranch)'),
        teamReviewers: z =>
          z
            .array(z.string())
            .describe(
              "GitHub team slugs of the namespace's owners and the configured approver groups (the PR's teamReviewers)",
            ),
        reviewers: z =>
          z
            .array(z.string())
            .describe(
              "GitHub logins of the configured approver users (the PR's reviewers)",
            ),
        validated: z =>
          z
            .boolean()
            .describe('Whether the cluster accepted every object in a dry run'),
      },
    },
    async handler(ctx) {
      return auditRequestRefusals(auditor, ctx, async () => {
        const input = ctx.input;
        const { options: render, problems } = renderOptionsOf(input, gitops);
        const checked = checkRequest(input, ACTION_FIELDS);
        problems.unshift(...checked.problems);
        if (checked.request) {
          problems.push(...admission.requestProblems(checked.request));
        }
        if (!checked.request || !render || problems.length > 0) {
          throw new VirtualMachineRequestError(problems);
        }
        const request = checked.request;
        const { pathTemplate, targetPath, repoUrl } = render;
        const cluster = requestCluster(clusters, request.cluster);

        const rendered = renderVirtualMachine(request, {
          pathTemplate,
          dataVolumes: render.dataVolumes,
          ...(ctx.user?.ref && { requestedBy: ctx.user.ref }),
          requestId: ctx.task.id,
        });
        const manifests = rendered.objects;

        // Who owns the namespace (its labels). A missing namespace is said as the dry run
        // would say it, an unreachable cluster as the dry run below says it.
        let unreachable: ServiceUnavailableError | undefined;
        let namespaceLabels: Record<string, string> | undefined;
        try {
          const namespace = await cluster.planning.getNamespace(
            request.namespace,
          );
          namespaceLabels = namespace.metadata.labels ?? {};
        } catch (error) {
          if (error instanceof NotFoundError) {
            throw dryRunError(error, manifests[0], request);
          }
          if (!(error instanceof ServiceUnavailableError)) throw error;
          unreachable = error;
        }
        if (unreachable && !render.allowOffline) {
          throw new ServiceUnavailableError(
            `Cluster ${request.cluster} is unreachable, so the manifests could not be checked (${unreachable.message}); try again later, or set allowOffline: true to open the pull request unchecked`,
          );
        }
        const { teamReviewers, reviewers } = await admission.admit({
          request,
          namespaceLabels,
          credentials: await ctx.getInitiatorCredentials(),
          logger: ctx.logger,
        });

        let validated = true;
        const refusal = unreachable
          ? { error: unreachable, object: manifests[0] }
          : await dryRunAll(cluster.actor(), manifests);
        if (!refusal) {
          ctx.logger.info(
            `Cluster ${request.cluster} accepts ${manifests
              .map(m => `${m.kind} ${m.metadata.name}`)
              .join(', ')} (server-side dry run, strict field validation)`,
          );
        } else if (!(refusal.error instanceof ServiceUnavailableError)) {
          throw dryRunError(refusal.error, refusal.object, request);
        } else if (!render.allowOffline) {
          throw new ServiceUnavailableError(
            `Cluster ${request.cluster} is unreachable, so the manifests could not be checked (${refusal.error.message}); try again later, or set allowOffline: true to open the pull request unchecked`,
          );
        } else {
          validated = false;
          ctx.logger.warn(
            `Cluster ${request.cluster} is unreachable; the manifests are NOT checked (allowOffline): ${refusal.error.message}`,
          );
        }

        const targetRoot = path.resolve(ctx.workspacePath, targetPath);
        await writeWorkspaceFiles(
          ctx.workspacePath,
          targetRoot,
          rendered.files,
        );
        const files = Object.keys(rendered.files);
        const manifestPath = rendered.directory.replace(/\/$/, '');
        const sourcePath = path.posix.normalize(
          path.posix.join(targetPath, manifestPath),
        );
        ctx.logger.info(
          `Wrote ${files.length} files to ${rendered.directory}: ${files
            .map(f => path.posix.basename(f))
            .join(', ')}`,
        );

        ctx.output('files', files);
        ctx.output('manifestPath', manifestPath);
        ctx.output('sourcePath', sourcePath);
        ctx.output('repoUrl', repoUrl);
        ctx.output(
          'branchName',
          `vm-request/${request.cluster}-${request.namespace}-${request.name}`,
        );
        ctx.output('targetBranchName', gitops.defaultBranch);
        ctx.output('teamReviewers', teamReviewers);
        ctx.output('reviewers', reviewers);
        ctx.output('validated', validated);
      });
    },
  });
}
