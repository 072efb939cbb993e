import type { LoggerService } from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import type { NotificationPayload } from '@backstage/plugin-notifications-common';
import type { NotificationService } from '@backstage/plugin-notifications-node';
import type { SignalsService } from '@backstage/plugin-signals-node';
import type { TrackedVirtualMachineRequest } from '@vmportal/plugin-kubevirt-common';

/**
 * The signal channel on which the request page hears that a request moved.
 *
 * @internal
 */
export const REQUESTS_SIGNAL_CHANNEL = 'kubevirt:requests';

/** The notifications' topic; one notification per request (its `scope` is the id). */
const TOPIC = 'vm-request';

/**
 * A user or group as a person reads it: `alice` for `user:default/alice`, with the
 * namespace only when it is not the default one. Notifications are plain text, so the
 * portal cannot link or humanize the ref there.
 */
function readable(ref: string): string {
  try {
    const { namespace, name } = parseEntityRef(ref);
    return namespace === 'default' ? name : `${namespace}/${name}`;
  } catch {
    return ref;
  }
}

function describe(request: TrackedVirtualMachineRequest): {
  title: string;
  description: string;
  severity: NotificationPayload['severity'];
} {
  const vm = `${request.namespace}/${request.name}`;
  const pr = request.pullRequest.number
    ? `PR #${request.pullRequest.number}`
    : 'the pull request';
  switch (request.stage) {
    case 'pr-open':
      return {
        title: `VM request ${vm}: ${pr} waits for review`,
        description: `${readable(request.requestedBy)} asks for ${
          request.size
        } on cluster ${request.cluster} for ${readable(
          request.owner,
        )}. Review and merge ${pr} to approve it${
          request.reviewers.length
            ? ` (reviewers: ${request.reviewers.map(readable).join(', ')})`
            : ''
        }.`,
        severity: 'normal',
      };
    case 'merged':
      return {
        title: `VM request ${vm}: approved`,
        description: `${pr} was merged; the VM is being applied to cluster ${request.cluster}.`,
        severity: 'normal',
      };
    case 'declined':
      return {
        title: `VM request ${vm}: declined`,
        description: `${pr} was closed without merging, so nothing is applied.`,
        severity: 'high',
      };
    case 'applied':
      return {
        title: `VM request ${vm}: created`,
        description: `The VirtualMachine exists in cluster ${request.cluster}${
          request.vm?.printableStatus ? ` (${request.vm.printableStatus})` : ''
        }; waiting for it to run.`,
        severity: 'normal',
      };
    case 'running':
      return {
        title: `VM request ${vm}: running`,
        description: `The VM runs in cluster ${request.cluster}; it shows in the catalog shortly.`,
        severity: 'normal',
      };
    case 'in-catalog':
    default:
      return {
        title: `VM request ${vm}: ready`,
        description: request.entityRef
          ? `The VM runs on cluster ${
              request.cluster
            } and is in the catalog as ${readable(
              request.entityRef,
            )}; the request links to its page.`
          : `The VM runs on cluster ${request.cluster} and is in the catalog.`,
        severity: 'normal',
      };
  }
}

/**
 * Tells people that a request moved: a notification to the requester at each stage
 * (and to the owning team when the pull request opens, since its members review),
 * all under one scope per request so each notice replaces the last; and a signal on
 * {@link REQUESTS_SIGNAL_CHANNEL} so open request pages refresh. Failures are logged,
 * never thrown: a request moves whether or not anyone could be told.
 *
 * @internal
 */
export class RequestNotifier {
  private readonly logger: LoggerService;

  constructor(
    private readonly deps: {
      notifications: NotificationService;
      signals: SignalsService;
      logger: LoggerService;
    },
  ) {
    this.logger = deps.logger.child({ target: 'RequestNotifier' });
  }

  /** The request reached `request.stage`. */
  async stageReached(request: TrackedVirtualMachineRequest): Promise<void> {
    const recipients =
      request.stage === 'pr-open'
        ? [request.requestedBy, request.owner]
        : [request.requestedBy];
    const { title, description, severity } = describe(request);
    await Promise.all([
      this.deps.notifications
        .send({
          recipients: { type: 'entity', entityRef: recipients },
          payload: {
            title,
            description,
            link: `/vm-requests/${encodeURIComponent(request.id)}`,
            topic: TOPIC,
            scope: request.id,
            severity,
          },
        })
        .catch(error =>
          this.logger.warn(
            `Could not notify about VM request ${request.id} (${request.stage}); is @backstage/plugin-notifications-backend installed? ${error}`,
            { requestId: request.id, stage: request.stage },
          ),
        ),
      this.deps.signals
        .publish({
          recipients: {
            type: 'user',
            entityRef: [request.requestedBy, request.owner],
          },
          channel: REQUESTS_SIGNAL_CHANNEL,
          message: { id: request.id, stage: request.stage },
        })
        .catch(error =>
          this.logger.warn(
            `Could not signal VM request ${request.id} (${request.stage}): ${error}`,
            { requestId: request.id, stage: request.stage },
          ),
        ),
    ]);
  }
}
