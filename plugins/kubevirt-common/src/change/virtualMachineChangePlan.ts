import type { QuotaPlan } from '../quota/planQuota';
import type { VirtualMachineChange } from './virtualMachineChangeSchema';

/**
 * When a change takes effect once its pull request is merged and applied:
 * - `live`: KubeVirt applies it to the running VM (LiveUpdate, hot-plug);
 * - `restart`: the VM runs on as it was and says "restart required" until restarted;
 * - `next-start`: the VM is stopped; it starts with the change;
 * - `on-apply`: at once (run strategy, decommission, adopt).
 *
 * @public
 */
export type VirtualMachineChangeTiming =
  | 'live'
  | 'restart'
  | 'next-start'
  | 'on-apply';

/**
 * What a change to a VM would do, checked against its namespace's quotas: the body of
 * the kubevirt backend's change-plan route, and what `kubevirt:vm:change` checks
 * before it writes anything.
 *
 * @public
 */
export interface VirtualMachineChangePlan {
  change: VirtualMachineChange;
  vm: { cluster: string; namespace: string; name: string };
  /** One sentence: what changes, from what to what (e.g. `u1.small (1 vCPU, 2 GiB) → u1.medium (1 vCPU, 4 GiB)`). */
  summary: string;
  /**
   * The namespace's quotas with what the change adds (`thisVm`): the difference
   * between the VM's launcher pod before and after (KubeVirt's overhead included)
   * and the claims of new disks.
   */
  quota: QuotaPlan;
  /** Whether the change can be asked for: it fits every quota and nothing else stops it. */
  fits: boolean;
  /** Why not, one sentence each with the fix (quota shortfalls included). */
  problems: string[];
  /** Notes that do not stop it (e.g. what a live update needs while both pods run). */
  notes: string[];
  takesEffect: VirtualMachineChangeTiming;
}
