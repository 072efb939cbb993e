/**
 * Unstable hooks of the KubeVirt catalog module, for benchmarks and metrics.
 *
 * @packageDocumentation
 */

export { kubevirtEntityProviderObserverServiceRef } from './providers/observer';
export type {
  KubevirtEntityProviderChangeEvent,
  KubevirtEntityProviderMutationEvent,
  KubevirtEntityProviderObserverService,
  KubevirtEntityProviderSyncEvent,
} from './providers/observer';
