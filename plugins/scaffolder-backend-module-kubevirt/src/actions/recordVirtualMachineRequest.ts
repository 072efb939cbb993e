import type {
  AuthService,
  DiscoveryService,
} from '@backstage/backend-plugin-api';
import { InputError, ResponseError } from '@backstage/errors';
import {
  createTemplateAction,
  TemplateAction,
} from '@backstage/plugin-scaffolder-node';
import type {
  TrackedVirtualMachineRequest,
  VirtualMachineRequestRecord,
} from '@vmportal/plugin-kubevirt-common';

/**
 * Options of {@link createRecordVirtualMachineRequestAction}.
 *
 * @public
 */
export interface RecordVirtualMachineRequestActionOptions {
  auth: AuthService;
  discovery: DiscoveryService;
  /**
   * The app's base URL (`app.baseUrl`), for the absolute link to the request's page;
   * empty gives a path (`/vm-requests/<id>`).
   */
  appBaseUrl: string;
}

/**
 * The `kubevirt:vm:record-request` action: after the pull request opens, records the
 * request with the KubeVirt backend (on behalf of the user who ran the template), so
 * the portal follows it from review to a running VM; outputs the request page's URL.
 *
 * @public
 */
export function createRecordVirtualMachineRequestAction(
  options: RecordVirtualMachineRequestActionOptions,
): TemplateAction<any, any, any> {
  const { auth, discovery } = options;
  const appBaseUrl = options.appBaseUrl.replace(/\/+$/, '');
  return createTemplateAction({
    id: 'kubevirt:vm:record-request',
    description:
      "Records a VM request whose pull request is open, so the portal's VM requests page follows it (review, merge, applied, running, in the catalog); outputs the request page's URL.",
    supportsDryRun: true,
    schema: {
      input: {
        cluster: z => z.string().min(1).describe('Cluster of the VM'),
        namespace: z => z.string().min(1).describe('Namespace of the VM'),
        name: z => z.string().min(1).describe('Name of the VM'),
        owner: z =>
          z
            .string()
            .min(1)
            .describe(
              'Entity ref of the owning group (group:default/team-web)',
            ),
        size: z =>
          z
            .string()
            .min(1)
            .describe(
              "The size in plain text (kubevirt:vm:plan's size output)",
            ),
        change: z =>
          z
            .enum([
              'resize',
              'add-disk',
              'run-strategy',
              'decommission',
              'adopt',
            ])
            .optional()
            .describe(
              "For a day-2 change to an existing VM, its kind (kubevirt:vm:change's kind output)",
            ),
        planSummary: z =>
          z
            .string()
            .describe(
              "The quota plan in Markdown (kubevirt:vm:plan's summaryMarkdown)",
            ),
        pullRequestUrl: z =>
          z
            .string()
            .describe(
              "The pull request's URL (publish:github:pull-request's remoteUrl)",
            ),
        teamReviewers: z =>
          z
            .array(z.string())
            .optional()
            .describe('Teams asked to review the pull request'),
        reviewers: z =>
          z
            .array(z.string())
            .optional()
            .describe('Users asked to review the pull request'),
      },
      output: {
        requestId: z => z.string().describe("The request's id"),
        requestUrl: z =>
          z
            .string()
            .describe("The request's page in the portal (absolute URL)"),
        requestPath: z =>
          z
            .string()
            .describe(
              "The request's page as a path in the app, for the template's links (they open in the same tab)",
            ),
      },
    },
    async handler(ctx) {
      const input = ctx.input;
      const requestId = ctx.task.id;
      const requestPath = `/vm-requests/${encodeURIComponent(requestId)}`;
      const requestUrl = `${appBaseUrl}${requestPath}`;
      const record: VirtualMachineRequestRecord = {
        id: requestId,
        owner: input.owner,
        cluster: input.cluster,
        namespace: input.namespace,
        name: input.name,
        size: input.size,
        planSummary: input.planSummary,
        pullRequestUrl: input.pullRequestUrl,
        reviewers: [...(input.teamReviewers ?? []), ...(input.reviewers ?? [])],
        ...(input.change && { change: input.change }),
      };
      if (ctx.isDryRun) {
        ctx.logger.info(
          `Dry run: would record request ${requestId} for VM ${input.name} (PR ${input.pullRequestUrl})`,
        );
        ctx.output('requestId', requestId);
        ctx.output('requestUrl', requestUrl);
        ctx.output('requestPath', requestPath);
        return;
      }
      if (!URL.canParse(input.pullRequestUrl)) {
        throw new InputError(
          `pullRequestUrl '${input.pullRequestUrl.slice(
            0,
            200,
          )}' is not a URL: pass the pull request step's remoteUrl output`,
        );
      }
      const { token } = await auth.getPluginRequestToken({
        onBehalfOf: await ctx.getInitiatorCredentials(),
        targetPluginId: 'kubevirt',
      });
      const baseUrl = await discovery.getBaseUrl('kubevirt');
      const response = await fetch(`${baseUrl}/v1/requests`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
        },
        body: JSON.stringify(record),
        signal: ctx.signal,
      });
      if (!response.ok) {
        const error = await ResponseError.fromResponse(response);
        throw new Error(
          `The pull request ${input.pullRequestUrl} is open and its reviewers can approve it, but the portal could not record the request to follow it: ${error.message}`,
        );
      }
      const tracked = (await response.json()) as TrackedVirtualMachineRequest;
      ctx.logger.info(
        `Recorded request ${tracked.id}: follow it at ${requestUrl}`,
      );
      ctx.output('requestId', tracked.id);
      ctx.output('requestUrl', requestUrl);
      ctx.output('requestPath', requestPath);
    },
  });
}
