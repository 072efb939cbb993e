import {
  ADD,
  DELETE,
  ERROR,
  KubeConfig,
  KubernetesListObject,
  KubernetesObject,
  makeInformer,
  UPDATE,
} from '@kubernetes/client-node';
import { describeError } from '../kubeClient';

/** Options of {@link ResourceWatcher}. */
export interface ResourceWatcherOptions<T extends KubernetesObject> {
  /** What is watched, for log lines ("VirtualMachines"). */
  what: string;
  /** The collection's URL path, e.g. `/apis/kubevirt.io/v1/virtualmachines`. */
  path: string;
  /** Lists the collection (client-node calls it again after a 410). */
  list: () => Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  /** Called for every add, update and delete (the deleted object's last state). */
  onChange: (object: T, event: 'add' | 'update' | 'delete') => void;
  log: (line: string) => void;
}

/**
 * A client-node informer that never gives up. client-node relists by itself
 * after a 410 Gone (expired resourceVersion) and reconnects after a watch
 * timeout, but any other error (apiserver restarting, a refused list) stops
 * the informer for good: this restarts it with backoff.
 */
export class ResourceWatcher<T extends KubernetesObject> {
  private readonly informer;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(
    kc: KubeConfig,
    private readonly options: ResourceWatcherOptions<T>,
  ) {
    this.informer = makeInformer<T>(
      kc,
      options.path,
      options.list,
      options.labelSelector,
    );
    this.informer.on(ADD, object => this.changed(object, 'add'));
    this.informer.on(UPDATE, object => this.changed(object, 'update'));
    this.informer.on(DELETE, object => this.changed(object, 'delete'));
    this.informer.on(ERROR, error => this.failed(error));
  }

  /** Lists, then watches; resolves after the first list (or its failure, which is retried). */
  async start(): Promise<void> {
    await this.informer.start();
  }

  /** Objects as last seen, optionally of one namespace. */
  list(namespace?: string): ReadonlyArray<T> {
    return this.informer.list(namespace);
  }

  /** One object as last seen. */
  get(name: string, namespace?: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.informer.stop();
  }

  private changed(object: T, event: 'add' | 'update' | 'delete') {
    this.failures = 0;
    try {
      this.options.onChange(object, event);
    } catch (error) {
      this.options.log(
        `watch ${this.options.what}: handling ${event} failed: ${describeError(
          error,
        )}`,
      );
    }
  }

  private failed(error: unknown) {
    if (this.stopped) return;
    this.failures++;
    const delay = Math.min(500 * 2 ** (this.failures - 1), 10_000);
    if (this.failures === 1 || this.failures % 10 === 0) {
      this.options.log(
        `watch ${this.options.what} failed (${describeError(
          error,
        )}); restarting in ${delay} ms`,
      );
    }
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      if (this.stopped) return;
      this.informer.start().catch(() => {
        // start() reports list failures through the ERROR callback, which schedules the next try
      });
    }, delay);
    this.restartTimer.unref();
  }
}
