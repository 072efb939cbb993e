import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import {
  CoordinationV1Api,
  KubeConfig,
  V1Lease,
} from '@kubernetes/client-node';
import { describeError, errorStatus } from '../kubeClient';
import { orNotFound } from './resources';

const NAMESPACE = 'kube-system';
const NAME = 'kubevirt-simulator';
const DURATION_S = 15;
const RENEW_MS = 5000;

/**
 * A Lease, like virt-controller's leader election, so that two simulators
 * (say the `kube-testenv up` daemon and one started by hand) never act on the
 * same cluster at once: two would each create a launcher pod for one VMI.
 */
export class SimulatorLease {
  private readonly identity = `${hostname()}_${process.pid}_${randomBytes(
    3,
  ).toString('hex')}`;
  private readonly coordination: CoordinationV1Api;
  private timer: NodeJS.Timeout | undefined;

  constructor(kc: KubeConfig, private readonly log: (line: string) => void) {
    this.coordination = kc.makeApiClient(CoordinationV1Api);
  }

  /**
   * Takes the lease, waiting for an expired one to lapse; throws if another
   * simulator keeps renewing it for `timeoutMs`.
   */
  async acquire(timeoutMs = (DURATION_S + 5) * 1000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let holder = '';
    for (;;) {
      const outcome = await this.tryAcquire();
      if (outcome === true) break;
      holder = outcome;
      if (Date.now() > deadline) {
        throw new Error(
          `another KubeVirt simulator (${holder}) holds Lease ${NAMESPACE}/${NAME} of this cluster; stop it first`,
        );
      }
      await new Promise(resolve => setTimeout(resolve, 1000));
    }
    this.timer = setInterval(() => {
      this.tryAcquire().then(
        outcome => {
          if (outcome !== true)
            this.log(`lost Lease ${NAMESPACE}/${NAME} to ${outcome}`);
        },
        error =>
          this.log(
            `renewing Lease ${NAMESPACE}/${NAME} failed: ${describeError(
              error,
            )}`,
          ),
      );
    }, RENEW_MS);
    this.timer.unref();
  }

  /** Gives the lease up, so the next simulator need not wait for it to expire. */
  async release(): Promise<void> {
    clearInterval(this.timer);
    try {
      const lease = await orNotFound(
        this.coordination.readNamespacedLease({
          namespace: NAMESPACE,
          name: NAME,
        }),
      );
      if (lease?.spec?.holderIdentity === this.identity) {
        await this.coordination.deleteNamespacedLease({
          namespace: NAMESPACE,
          name: NAME,
          body: {
            preconditions: { resourceVersion: lease.metadata?.resourceVersion },
          },
        });
      }
    } catch {
      // it expires by itself
    }
  }

  /** true when we hold the lease now, else the current holder's identity. */
  private async tryAcquire(): Promise<true | string> {
    const now = new Date();
    const lease = await orNotFound(
      this.coordination.readNamespacedLease({
        namespace: NAMESPACE,
        name: NAME,
      }),
    );
    const spec = {
      holderIdentity: this.identity,
      leaseDurationSeconds: DURATION_S,
      renewTime: microTime(now),
      acquireTime: microTime(now),
    } as V1Lease['spec'];
    if (!lease) {
      try {
        await this.coordination.createNamespacedLease({
          namespace: NAMESPACE,
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: NAME, namespace: NAMESPACE },
            spec,
          },
        });
        return true;
      } catch (error) {
        if (errorStatus(error) === 409)
          return 'a simulator starting at the same time';
        throw error;
      }
    }
    const holder = lease.spec?.holderIdentity ?? '';
    const renewed = lease.spec?.renewTime
      ? new Date(lease.spec.renewTime).getTime()
      : 0;
    const expired =
      renewed + (lease.spec?.leaseDurationSeconds ?? DURATION_S) * 1000 <
      now.getTime();
    if (holder && holder !== this.identity && !expired) return holder;
    try {
      await this.coordination.replaceNamespacedLease({
        namespace: NAMESPACE,
        name: NAME,
        body: {
          ...lease,
          spec: {
            ...spec,
            acquireTime:
              holder === this.identity
                ? lease.spec?.acquireTime
                : microTime(now),
          },
        },
      });
      return true;
    } catch (error) {
      if (errorStatus(error) === 409) return holder || 'another simulator';
      throw error;
    }
  }
}

/**
 * A `metav1.MicroTime` (six fractional digits, which the apiserver insists on),
 * passed through client-node's serializer as the string it is.
 */
function microTime(date: Date): Date {
  return date.toISOString().replace(/Z$/, '000Z') as unknown as Date;
}
