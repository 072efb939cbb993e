import { randomBytes } from 'node:crypto';
import { CoreV1Api, CoreV1Event, V1ObjectMeta } from '@kubernetes/client-node';
import { describeError } from '../kubeClient';
import { now } from './resources';

/** The object an event is about (a client-node object or a KubeVirt one). */
export interface EventSubject {
  apiVersion: string;
  kind: string;
  metadata: Pick<
    V1ObjectMeta,
    'name' | 'namespace' | 'uid' | 'resourceVersion'
  >;
}

/** Who records: `virt-controller`, `virt-handler` (with its node), `default-scheduler`, … */
export interface EventSource {
  component: string;
  host?: string;
}

interface Recorded {
  name: string;
  namespace: string;
  count: number;
  firstTimestamp: string;
}

/**
 * Records core/v1 Events the way client-go's event recorder does: named
 * `<object>.<random hex>`, and an identical event (same object, type, reason,
 * message, source) within ten minutes bumps `count` and `lastTimestamp` of the
 * first instead of adding another. Failures are logged, never thrown: an event
 * is not worth failing a reconcile for.
 */
export class EventRecorder {
  private readonly recent = new Map<string, Recorded & { at: number }>();

  constructor(
    private readonly core: CoreV1Api,
    private readonly log: (line: string) => void,
  ) {}

  async record(
    subject: EventSubject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    source: EventSource,
  ): Promise<void> {
    const namespace = subject.metadata.namespace ?? 'default';
    const key = [
      subject.metadata.uid,
      type,
      reason,
      message,
      source.component,
      source.host,
    ].join('\u0000');
    const timestamp = now();
    const previous = this.recent.get(key);
    try {
      if (previous && Date.now() - previous.at < 10 * 60_000) {
        previous.count++;
        previous.at = Date.now();
        await this.core.patchNamespacedEvent({
          name: previous.name,
          namespace: previous.namespace,
          body: [
            { op: 'replace', path: '/count', value: previous.count },
            { op: 'replace', path: '/lastTimestamp', value: timestamp },
          ],
        });
        return;
      }
      const name = `${subject.metadata.name}.${randomBytes(8).toString('hex')}`;
      const event: CoreV1Event = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject: {
          apiVersion: subject.apiVersion,
          kind: subject.kind,
          name: subject.metadata.name,
          namespace: subject.metadata.namespace,
          uid: subject.metadata.uid,
          resourceVersion: subject.metadata.resourceVersion,
        },
        type,
        reason,
        message,
        source,
        count: 1,
        firstTimestamp: new Date(timestamp),
        lastTimestamp: new Date(timestamp),
        reportingComponent: source.component,
        reportingInstance: source.host ?? '',
      };
      await this.core.createNamespacedEvent({ namespace, body: event });
      this.recent.set(key, {
        name,
        namespace,
        count: 1,
        firstTimestamp: timestamp,
        at: Date.now(),
      });
      this.prune();
    } catch (error) {
      if (previous) this.recent.delete(key);
      this.log(
        `event ${reason} on ${subject.kind} ${namespace}/${
          subject.metadata.name
        } not recorded: ${describeError(error)}`,
      );
    }
  }

  private prune() {
    if (this.recent.size < 2000) return;
    const cutoff = Date.now() - 10 * 60_000;
    for (const [key, recorded] of this.recent) {
      if (recorded.at < cutoff) this.recent.delete(key);
    }
  }
}
