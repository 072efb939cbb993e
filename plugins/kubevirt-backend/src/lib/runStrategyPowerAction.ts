import { ConflictError, NotImplementedError } from '@backstage/errors';
import {
  JsonPatchOperation,
  PowerAction,
  VirtualMachine,
  virtualMachineRunStrategy,
} from '@vmportal/plugin-kubevirt-common';
import {
  KubernetesApiError,
  KubevirtCluster,
} from '@vmportal/plugin-kubevirt-node';

/** The run strategy each action sets, keyed by the strategies it may change. */
const TRANSITIONS: Partial<
  Record<PowerAction, { to: string; from: string[]; refusal: string }>
> = {
  start: { to: 'Always', from: ['Halted'], refusal: 'VM is already running' },
  stop: {
    to: 'Halted',
    from: ['Always', 'RerunOnFailure', 'Once'],
    refusal: 'VM is not running',
  },
};

/**
 * The JSON patch that moves a VM to `runStrategy`, guarded by a `test` of the field the
 * caller decided on (`spec.runStrategy`, or the deprecated `spec.running`), so that it
 * applies only while the VM still runs the way the caller saw it. KubeVirt writes the
 * VM's status all the time; guarding the field rather than the resourceVersion keeps
 * those writes from failing the patch. A VM that still uses `spec.running` loses it
 * (KubeVirt refuses both).
 *
 * @internal
 */
export function runStrategyPatch(
  vm: VirtualMachine,
  runStrategy: string,
): JsonPatchOperation[] {
  const patch: JsonPatchOperation[] = [];
  if (vm.spec.running !== undefined) {
    patch.push(
      { op: 'test', path: '/spec/running', value: vm.spec.running },
      { op: 'remove', path: '/spec/running' },
    );
  }
  if (vm.spec.runStrategy !== undefined) {
    patch.push(
      { op: 'test', path: '/spec/runStrategy', value: vm.spec.runStrategy },
      { op: 'replace', path: '/spec/runStrategy', value: runStrategy },
    );
  } else {
    patch.push({ op: 'add', path: '/spec/runStrategy', value: runStrategy });
  }
  return patch;
}

/**
 * A power action for clusters that do not serve KubeVirt's
 * `subresources.kubevirt.io` API: `start` sets `spec.runStrategy` to Always and
 * `stop` to Halted, as KubeVirt's own start and stop do for those strategies, as a
 * test-and-set on the run strategy the decision was made on. Restart, pause, unpause
 * and VMs in Manual mode need virt-api and are refused with a `NotImplementedError`
 * that says so; `force` has no meaning here (the guest shuts down with its grace
 * period).
 *
 * Throws `ConflictError` when the VM is already in the asked state (as KubeVirt does)
 * or its run strategy changed since `vm` was read. Patches with the cluster's actor
 * credential; returns the patched VM.
 *
 * @internal
 */
export async function runStrategyPowerAction(
  cluster: KubevirtCluster,
  vm: VirtualMachine,
  action: PowerAction,
): Promise<VirtualMachine> {
  const { namespace = '', name } = vm.metadata;
  const patch = decide(cluster.name, vm, action);
  try {
    return await cluster.actor().patchVirtualMachine(namespace, name, patch);
  } catch (error) {
    if (!isFailedTest(error)) throw error;
    const fresh = await cluster.page.getVirtualMachine(namespace, name);
    if (
      fresh.spec.runStrategy === vm.spec.runStrategy &&
      fresh.spec.running === vm.spec.running
    ) {
      throw error;
    }
    throw new ConflictError(
      `Cannot ${action} VirtualMachine ${namespace}/${name}: the VM changed meanwhile, try again`,
    );
  }
}

/** The patch that carries out `action` on `vm`, or why there is none. */
function decide(
  cluster: string,
  vm: VirtualMachine,
  action: PowerAction,
): JsonPatchOperation[] {
  const { namespace = '', name } = vm.metadata;
  const current = virtualMachineRunStrategy(vm);
  const transition = TRANSITIONS[action];
  if (!transition) {
    throw new NotImplementedError(
      `${action} needs KubeVirt's subresources.kubevirt.io API, which cluster '${cluster}' does not serve; only start and stop work there`,
    );
  }
  if (current === transition.to) {
    throw new ConflictError(
      `Cannot ${action} VirtualMachine ${namespace}/${name}: ${transition.refusal} (runStrategy ${current})`,
    );
  }
  if (!transition.from.includes(current)) {
    throw new NotImplementedError(
      `Cannot ${action} VirtualMachine ${namespace}/${name} with runStrategy ${current} on cluster '${cluster}': that needs KubeVirt's subresources.kubevirt.io API, which the cluster does not serve`,
    );
  }
  return runStrategyPatch(vm, transition.to);
}

/**
 * A 409, or the apiserver's bare 422 "Invalid" for a JSON patch whose `test` does not
 * hold (it says no more; the caller confirms by reading the VM).
 */
function isFailedTest(error: unknown): boolean {
  return (
    error instanceof KubernetesApiError &&
    (error.statusCode === 409 || error.statusCode === 422)
  );
}
