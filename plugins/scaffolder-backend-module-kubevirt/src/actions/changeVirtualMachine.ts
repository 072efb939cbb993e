import type {
  AuditorService,
  AuthService,
  BackstageCredentials,
  DiscoveryService,
  UrlReaderService,
} from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotFoundError, ResponseError } from '@backstage/errors';
import {
  createTemplateAction,
  TemplateAction,
} from '@backstage/plugin-scaffolder-node';
import {
  applyVirtualMachineChange,
  cleanVirtualMachineManifest,
  KubernetesManifest,
  toYaml,
  VIRTUAL_MACHINE_CHANGE_ID_ANNOTATION,
  VIRTUAL_MACHINE_REQUEST_ID_ANNOTATION,
  VirtualMachine,
  VirtualMachineChange,
  virtualMachineChangeSchema,
  VirtualMachineChangePlan,
  VirtualMachineRequestError,
} from '@vmportal/plugin-kubevirt-common';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type { KubevirtClustersService } from '@vmportal/plugin-kubevirt-node';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { auditRequestRefusals } from '../lib/auditRequestRefusals';
import type { KubevirtGitopsConfig } from '../lib/KubevirtGitopsConfig';
import { changePlanMarkdown } from '../lib/changePlanMarkdown';
import { requestCluster } from '../lib/requestCluster';
import type { VirtualMachineRequestAdmission } from '../lib/VirtualMachineRequestAdmission';
import {
  relativeFolderProblem,
  writeWorkspaceFiles,
} from '../lib/writeWorkspaceFiles';

/**
 * Options of {@link createChangeVirtualMachineAction}.
 *
 * @public
 */
export interface ChangeVirtualMachineActionOptions {
  clusters: KubevirtClustersService;
  admission: VirtualMachineRequestAdmission;
  auditor: AuditorService;
  gitops: KubevirtGitopsConfig;
  auth: AuthService;
  discovery: DiscoveryService;
  urlReader: UrlReaderService;
  catalog: CatalogService;
}

/** The web address of a file in the GitOps repository, as the URL readers take it. */
function fileUrl(repoUrl: string, branch: string, file: string): string {
  const url = new URL(`https://${repoUrl}`);
  const owner = url.searchParams.get('owner');
  const repo = url.searchParams.get('repo');
  return `https://${url.host}/${owner}/${repo}/blob/${branch}/${file}`;
}

function folderOf(template: string, vm: VirtualMachineChangePlan['vm']) {
  const folder = template
    .replace(/\{cluster\}/g, vm.cluster)
    .replace(/\{namespace\}/g, vm.namespace)
    .replace(/\{name\}/g, vm.name);
  return folder.endsWith('/') ? folder : `${folder}/`;
}

/** The kubevirt backend's plan of the change, asked on behalf of the task's user. */
async function planChange(
  options: ChangeVirtualMachineActionOptions,
  credentials: BackstageCredentials,
  entityRef: string,
  change: VirtualMachineChange,
  signal?: AbortSignal,
): Promise<VirtualMachineChangePlan> {
  const ref = parseEntityRef(entityRef);
  const { token } = await options.auth.getPluginRequestToken({
    onBehalfOf: credentials,
    targetPluginId: 'kubevirt',
  });
  const baseUrl = await options.discovery.getBaseUrl('kubevirt');
  const response = await fetch(
    `${baseUrl}/v1/entities/${encodeURIComponent(
      ref.namespace ?? 'default',
    )}/${encodeURIComponent(ref.kind)}/${encodeURIComponent(
      ref.name,
    )}/changes/plan`,
    {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify(change),
      signal,
    },
  );
  if (!response.ok) {
    const error = await ResponseError.fromResponse(response);
    throw new VirtualMachineRequestError([
      { field: 'vm', message: error.body.error.message },
    ]);
  }
  return (await response.json()) as VirtualMachineChangePlan;
}

/**
 * The `kubevirt:vm:change` action: a day-2 change to a VM (resize, add a disk, run
 * strategy, decommission, adopt) as files for `publish:github:pull-request`. The
 * kubevirt backend plans it first, on behalf of the user who ran the template: the
 * change's permission on the VM's entity, the entity's provenance, and the quota
 * (refused with the quota named; nothing is written then). The VM's files are read
 * from the GitOps repository (where `kubevirt.gitops.pathTemplate` puts them) and
 * changed there; adopt writes the live VM's manifest, cleaned of what the cluster
 * set; decommission deletes the VM's files.
 *
 * @public
 */
export function createChangeVirtualMachineAction(
  options: ChangeVirtualMachineActionOptions,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): TemplateAction<any, any, any> {
  const { gitops, auditor, admission, clusters, urlReader } = options;
  return createTemplateAction({
    id: 'kubevirt:vm:change',
    description:
      "Plans a change to a virtual machine (resize, add-disk, run-strategy, decommission, adopt) against its namespace's quota, and writes the VM's changed files in the GitOps repository's layout for publish:github:pull-request.",
    supportsDryRun: true,
    schema: {
      input: {
        vm: z =>
          z
            .string()
            .min(1)
            .describe("The VM's catalog entity, e.g. component:default/web-01"),
        change: z =>
          z
            .record(z.unknown())
            .describe(
              'The change: { kind: resize, instancetype } | { kind: add-disk, name, size, storageClass? } | { kind: run-strategy, runStrategy } | { kind: decommission, confirm } | { kind: adopt }',
            ),
        targetPath: z =>
          z
            .string()
            .optional()
            .describe(
              'Folder in the task workspace the repository layout starts at; default .',
            ),
      },
      output: {
        kind: z => z.string().describe('The kind of change'),
        summary: z => z.string().describe('What changes, in one sentence'),
        summaryMarkdown: z =>
          z.string().describe('The plan for the pull request body'),
        cluster: z => z.string(),
        namespace: z => z.string(),
        name: z => z.string(),
        owner: z => z.string().describe("The VM entity's owner"),
        manifestPath: z =>
          z.string().describe("The VM's folder in the repository"),
        sourcePath: z =>
          z.string().describe("The VM's folder in the workspace"),
        filesToDelete: z =>
          z
            .array(z.string())
            .describe(
              'Files the pull request deletes, relative to manifestPath',
            ),
        repoUrl: z => z.string(),
        branchName: z => z.string(),
        targetBranchName: z => z.string(),
        teamReviewers: z => z.array(z.string()),
        reviewers: z => z.array(z.string()),
        title: z => z.string().describe('Title of the pull request'),
      },
    },
    async handler(ctx) {
      return auditRequestRefusals(auditor, ctx, async () => {
        const parsed = virtualMachineChangeSchema.safeParse(ctx.input.change);
        if (!parsed.success) {
          throw new VirtualMachineRequestError(
            parsed.error.issues.map(issue => ({
              field: ['change', ...issue.path].join('.'),
              message: issue.message,
            })),
          );
        }
        const change = parsed.data;
        let entityRef: string;
        try {
          entityRef = stringifyEntityRef(parseEntityRef(ctx.input.vm));
        } catch {
          throw new VirtualMachineRequestError([
            {
              field: 'vm',
              message: `'${String(ctx.input.vm).slice(
                0,
                100,
              )}' is not an entity ref; choose the VM from the catalog`,
            },
          ]);
        }
        if (!gitops.repoUrl) {
          throw new InputError(
            'kubevirt.gitops.repoUrl is not configured; configure the GitOps repository (host?owner=o&repo=r)',
          );
        }
        const credentials = await ctx.getInitiatorCredentials();
        const plan = await planChange(
          options,
          credentials,
          entityRef,
          change,
          ctx.signal,
        );
        ctx.logger.info(`${plan.summary}: ${plan.fits ? 'fits' : 'refused'}`);
        if (!plan.fits) {
          throw new VirtualMachineRequestError(
            plan.problems.map(message => ({
              field: change.kind === 'resize' ? 'instancetype' : 'change',
              message,
            })),
          );
        }
        const { vm: where } = plan;
        const cluster = requestCluster(clusters, where.cluster);
        const folder = folderOf(gitops.pathTemplate, where);
        const read = async (file: string) => {
          try {
            const response = await urlReader.readUrl(
              fileUrl(
                gitops.repoUrl!,
                gitops.defaultBranch,
                `${folder}${file}`,
              ),
            );
            return (await response.buffer()).toString('utf8');
          } catch (error) {
            if (error instanceof NotFoundError) return undefined;
            throw error;
          }
        };
        const kustomizationText = await read('kustomization.yaml');
        const resources: string[] = kustomizationText
          ? (parseYaml(kustomizationText) as { resources?: string[] })
              ?.resources ?? []
          : [];

        const files: Record<string, string> = {};
        let filesToDelete: string[] = [];
        if (change.kind === 'adopt') {
          if (kustomizationText !== undefined) {
            throw new VirtualMachineRequestError([
              {
                field: 'vm',
                message: `VM ${where.name} is already in the GitOps repository (${folder}kustomization.yaml); change it with the other templates instead`,
              },
            ]);
          }
          const live = await cluster.page.getVirtualMachine(
            where.namespace,
            where.name,
          );
          const manifest = cleanVirtualMachineManifest(live);
          manifest.metadata.annotations = {
            ...manifest.metadata.annotations,
            [VIRTUAL_MACHINE_REQUEST_ID_ANNOTATION]: ctx.task.id,
          };
          files['virtualmachine.yaml'] = toYaml(manifest);
          files['kustomization.yaml'] = toYaml({
            apiVersion: 'kustomize.config.k8s.io/v1beta1',
            kind: 'Kustomization',
            resources: ['virtualmachine.yaml'],
          });
        } else {
          if (kustomizationText === undefined) {
            throw new VirtualMachineRequestError([
              {
                field: 'vm',
                message: `VM ${where.name} is not in the GitOps repository (no ${folder}kustomization.yaml on ${gitops.defaultBranch}); adopt it first with the "Adopt a virtual machine into GitOps" template`,
              },
            ]);
          }
          if (change.kind === 'decommission') {
            filesToDelete = [...resources, 'kustomization.yaml'];
          } else {
            const vmFile = await findVmFile(read, resources, where.name);
            if (!vmFile) {
              throw new VirtualMachineRequestError([
                {
                  field: 'vm',
                  message: `${folder}kustomization.yaml lists no VirtualMachine ${where.name}; fix the repository's folder for this VM`,
                },
              ]);
            }
            const changed = applyVirtualMachineChange(
              vmFile.manifest as unknown as VirtualMachine,
              change,
            ) as unknown as KubernetesManifest;
            changed.metadata.annotations = {
              ...changed.metadata.annotations,
              [VIRTUAL_MACHINE_CHANGE_ID_ANNOTATION]: ctx.task.id,
            };
            files[vmFile.file] = toYaml(changed);
          }
        }
        const namespace = await cluster.planning
          .getNamespace(where.namespace)
          .catch(() => undefined);
        const { teamReviewers, reviewers } = await admission.changeReviewers({
          cluster: where.cluster,
          namespace: where.namespace,
          namespaceLabels: namespace?.metadata.labels,
          credentials,
        });

        const targetPath = ctx.input.targetPath ?? '.';
        const targetProblem = relativeFolderProblem(targetPath);
        if (targetProblem) {
          throw new VirtualMachineRequestError([
            { field: 'targetPath', message: targetProblem },
          ]);
        }
        const manifestPath = folder.replace(/\/$/, '');
        const sourcePath = path.posix.normalize(
          path.posix.join(targetPath, manifestPath),
        );
        const workspaceFolder = path.resolve(ctx.workspacePath, sourcePath);
        // The folder exists even when the pull request only deletes files.
        await fs.mkdir(workspaceFolder, { recursive: true });
        await writeWorkspaceFiles(ctx.workspacePath, workspaceFolder, files);
        ctx.logger.info(
          `Wrote ${Object.keys(files).join(', ') || 'no files'}${
            filesToDelete.length > 0
              ? `; the pull request deletes ${filesToDelete.join(', ')}`
              : ''
          } in ${folder}`,
        );
        const entity = await options.catalog.getEntityByRef(entityRef, {
          credentials,
        });
        const owner =
          typeof entity?.spec?.owner === 'string' ? entity.spec.owner : '';
        ctx.output('kind', change.kind);
        ctx.output('summary', plan.summary);
        ctx.output('summaryMarkdown', changePlanMarkdown(plan));
        ctx.output('cluster', where.cluster);
        ctx.output('namespace', where.namespace);
        ctx.output('name', where.name);
        ctx.output('owner', owner);
        ctx.output('manifestPath', manifestPath);
        ctx.output('sourcePath', sourcePath);
        ctx.output('filesToDelete', filesToDelete);
        ctx.output('repoUrl', gitops.repoUrl);
        ctx.output(
          'branchName',
          `vm-change/${where.cluster}-${where.namespace}-${where.name}-${
            change.kind
          }-${ctx.task.id.slice(0, 8)}`,
        );
        ctx.output('targetBranchName', gitops.defaultBranch);
        ctx.output('teamReviewers', teamReviewers);
        ctx.output('reviewers', reviewers);
        ctx.output('title', plan.summary);
      });
    },
  });
}

/** The file of the folder's kustomization that holds the VirtualMachine `name`. */
async function findVmFile(
  read: (file: string) => Promise<string | undefined>,
  resources: string[],
  name: string,
): Promise<{ file: string; manifest: KubernetesManifest } | undefined> {
  for (const file of resources) {
    if (file.includes('..') || file.startsWith('/')) continue;
    const text = await read(file);
    if (!text) continue;
    const manifest = parseYaml(text) as KubernetesManifest | null;
    if (manifest?.kind === 'VirtualMachine' && manifest.metadata?.name === name)
      return { file, manifest };
  }
  return undefined;
}
