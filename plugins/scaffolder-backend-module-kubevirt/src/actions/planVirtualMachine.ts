import type { AuditorService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import {
  createTemplateAction,
  TemplateAction,
} from '@backstage/plugin-scaffolder-node';
import {
  planQuota,
  VirtualMachineRequestError,
  VirtualMachineRequestProblem,
} from '@vmportal/plugin-kubevirt-common';
import type { KubevirtClustersService } from '@vmportal/plugin-kubevirt-node';
import { requestCluster } from '../lib/requestCluster';
import type { VirtualMachineRequestAdmission } from '../lib/VirtualMachineRequestAdmission';
import {
  quotaPlanMarkdown,
  quotaPlanSizeText,
  quotaPlanRows,
  quotaPlanTable,
} from '../lib/quotaPlanReport';
import { auditRequestRefusals } from '../lib/auditRequestRefusals';
import { examples } from './planVirtualMachine.examples';
import {
  checkRequest,
  virtualMachineRequestInput,
} from './virtualMachineRequestInput';

const ACTION_FIELDS = ['allowOverQuota'];

/**
 * Options of {@link createPlanVirtualMachineAction}.
 *
 * @public
 */
export interface PlanVirtualMachineActionOptions {
  /** The clusters VMs can be requested on. */
  clusters: KubevirtClustersService;
  /** Who may request a VM where (`kubevirt.requests`). */
  admission: VirtualMachineRequestAdmission;
  /** Where refused requests are audited (the scaffolder's auditor). */
  auditor: AuditorService;
}

/**
 * The `kubevirt:vm:plan` action: validates a VM request, admits it (the namespace
 * belongs to the owner, the requester is one of the owner's members; see
 * {@link VirtualMachineRequestAdmission}) and plans it against the live
 * ResourceQuotas and LimitRanges of its namespace. A request that does not fit fails
 * the step (so no pull request is opened), naming each quota and the shortfall.
 *
 * @public
 */
export function createPlanVirtualMachineAction(
  options: PlanVirtualMachineActionOptions,
  // The inferred input and output types are generated from the request schema, and
  // their member order is not stable from one compilation to the next (the API report
  // flapped); the schema itself documents the action where it is listed.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): TemplateAction<any, any, any> {
  const { clusters, admission, auditor } = options;
  return createTemplateAction({
    id: 'kubevirt:vm:plan',
    description:
      "Checks a virtual machine request and plans it against the namespace's live ResourceQuotas and LimitRanges (KubeVirt's own pod arithmetic); fails, naming each quota and shortfall, when the VM does not fit.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        ...virtualMachineRequestInput,
        allowOverQuota: z =>
          z
            .boolean()
            .optional()
            .describe(
              'Succeed with fits: false instead of failing when the VM does not fit (default false)',
            ),
      },
      output: {
        fits: z =>
          z.boolean().describe('Whether the VM fits every quota that applies'),
        rows: z =>
          z
            .array(
              z.object({
                quota: z.string(),
                quotaKind: z
                  .enum(['ResourceQuota', 'ApplicationAwareResourceQuota'])
                  .describe(
                    'The kind of quota: a ResourceQuota, or an Application Aware Quota ApplicationAwareResourceQuota',
                  ),
                resource: z.string(),
                hard: z.string(),
                used: z.string(),
                thisVm: z.string(),
                duringImportOnly: z.string(),
                after: z.string(),
                fits: z.boolean(),
              }),
            )
            .describe('One row per quota resource the VM counts against'),
        shortfalls: z =>
          z
            .array(z.string())
            .describe('One sentence per row that does not fit'),
        problems: z =>
          z
            .array(z.string())
            .describe(
              'Other reasons the VM would be refused (LimitRanges, unknown sizes)',
            ),
        summaryMarkdown: z =>
          z
            .string()
            .describe(
              'The request and the quota table in Markdown, for the pull request body',
            ),
        size: z =>
          z
            .string()
            .describe(
              'The size in plain text (instancetype or cores and memory, vCPUs, preference)',
            ),
      },
    },
    async handler(ctx) {
      return auditRequestRefusals(auditor, ctx, async () => {
        const problems: VirtualMachineRequestProblem[] = [];
        if (
          ctx.input.allowOverQuota !== undefined &&
          typeof ctx.input.allowOverQuota !== 'boolean'
        ) {
          problems.push({
            field: 'allowOverQuota',
            message: 'must be true or false',
          });
        }
        const checked = checkRequest(ctx.input, ACTION_FIELDS);
        problems.unshift(...checked.problems);
        if (checked.request) {
          problems.push(...admission.requestProblems(checked.request));
        }
        if (!checked.request || problems.length > 0) {
          throw new VirtualMachineRequestError(problems);
        }
        const request = checked.request;
        const cluster = requestCluster(clusters, request.cluster);
        const started = Date.now();
        const state = await cluster.planning.readPlanningState(
          request.namespace,
          {
            networkNames: request.networkInterfaces.flatMap(n =>
              n.type === 'multus' ? [n.networkName] : [],
            ),
            ...('dataSource' in request.image && {
              dataSource: request.image.dataSource,
            }),
          },
        );
        await admission.admit({
          request,
          namespaceLabels: state.namespaceLabels,
          credentials: await ctx.getInitiatorCredentials(),
          logger: ctx.logger,
        });
        const plan = planQuota({ request, ...state });
        const where = `namespace ${request.namespace} on cluster ${request.cluster}`;

        ctx.logger.info(
          plan.rows.length > 0
            ? `Quota plan for VM ${request.name} in ${where}:\n${quotaPlanTable(
                plan,
              )}`
            : `No ResourceQuota in ${where} counts anything VM ${request.name} uses`,
        );
        if (state.unreadable.length > 0) {
          ctx.logger.info(
            `Planned without ${state.unreadable.join(
              ' and ',
            )}: the portal's service account may not read it (defaults assumed; see the module README)`,
          );
        }
        ctx.logger.debug('Quota plan read the cluster', {
          durationMs: Date.now() - started,
          quotas: state.quotas.length,
          limitRanges: state.limitRanges?.length ?? 0,
          sizes: state.sizes.source,
        });

        ctx.output('fits', plan.fits);
        ctx.output('rows', quotaPlanRows(plan));
        ctx.output('shortfalls', plan.shortfalls);
        ctx.output('problems', plan.problems);
        ctx.output('summaryMarkdown', quotaPlanMarkdown(request, plan));
        ctx.output('size', quotaPlanSizeText(request, plan));

        if (plan.fits) {
          ctx.logger.info(`VM ${request.name} fits every quota of ${where}`);
          return;
        }
        const reasons = [...plan.shortfalls, ...plan.problems];
        const message = `VM ${request.name} does not fit ${where}:\n${reasons
          .map(r => `- ${r}`)
          .join('\n')}`;
        if (ctx.input.allowOverQuota === true) {
          ctx.logger.warn(`${message}\n(allowOverQuota is set: continuing)`);
          return;
        }
        throw new InputError(message);
      });
    },
  });
}
