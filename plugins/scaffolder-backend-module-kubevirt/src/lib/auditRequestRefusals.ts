import type { AuditorService } from '@backstage/backend-plugin-api';
import { VirtualMachineRequestError } from '@vmportal/plugin-kubevirt-common';

/** What of a scaffolder action's context the audit names. */
interface RequestContext {
  input: Record<string, unknown>;
  user?: { ref?: string };
  isDryRun?: boolean;
}

/**
 * Runs an action's body and audits a refused request (a `VirtualMachineRequestError`:
 * another team's namespace, a protected one, a non-member, a forbidden image host, …)
 * as `vm-request` failed, severity high, naming who asked and where. The scaffolder
 * audits tasks, but not dry runs above debug, and a refusal is what a platform team
 * wants to see either way.
 */
export async function auditRequestRefusals<T>(
  auditor: AuditorService,
  ctx: RequestContext,
  body: () => Promise<T>,
): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof VirtualMachineRequestError) {
      const text = (key: string) =>
        typeof ctx.input[key] === 'string' ? (ctx.input[key] as string) : '';
      const event = await auditor.createEvent({
        eventId: 'vm-request',
        severityLevel: 'high',
        meta: {
          requestedBy: ctx.user?.ref ?? 'unknown',
          cluster: text('cluster'),
          namespace: text('namespace'),
          name: text('name'),
          owner: text('owner'),
          dryRun: ctx.isDryRun === true,
        },
      });
      await event.fail({ error });
    }
    throw error;
  }
}
