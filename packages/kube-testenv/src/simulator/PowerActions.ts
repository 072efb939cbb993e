import type {
  VirtualMachineInstanceObject,
  VirtualMachineStateChangeRequest,
} from '@vmportal/plugin-kubevirt-common';
import { describeError, errorStatus } from '../kubeClient';
import { findCondition, hasCondition } from './conditions';
import { isFinal, runStrategyOf } from './printableStatus';
import {
  isPatchTestFailure,
  readCustomObject,
  VIRTUAL_MACHINE_INSTANCES,
  VIRTUAL_MACHINES,
} from './resources';
import type { SimulatorContext } from './SimulatorContext';
import type { VirtualMachine } from './types';
import type { VirtHandler } from './VirtHandler';

/** An HTTP answer of the subresource API: a status code and, for errors, a `Status` body. */
export interface PowerAnswer {
  code: number;
  body?: object;
}

/** One of virt-api's power subresources. */
export type PowerAction =
  | 'start'
  | 'stop'
  | 'restart'
  | 'migrate'
  | 'pause'
  | 'unpause';

const JSONPATCH_TEST_FAILED = 'jsonpatch test operation does not apply';

/** A `metav1.Status` failure, as apimachinery's `errors.New…` helpers build them. */
export function status(
  code: number,
  reason: string,
  message: string,
  details?: object,
): PowerAnswer {
  return {
    code,
    body: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      details,
      code,
    },
  };
}

const notFound = (
  kind: 'virtualmachine' | 'virtualmachineinstance',
  name: string,
) =>
  status(404, 'NotFound', `${kind}.kubevirt.io "${name}" not found`, {
    name,
    group: 'kubevirt.io',
    kind,
  });
const conflict = (
  kind: 'virtualmachine' | 'virtualmachineinstance',
  name: string,
  why: string,
) =>
  status(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${kind}.kubevirt.io "${name}": ${why}`,
    {
      name,
      group: 'kubevirt.io',
      kind,
    },
  );
const internal = (why: string) =>
  status(500, 'InternalError', `Internal error occurred: ${why}`, {
    causes: [{ message: why }],
  });
const badRequest = (why: string) => status(400, 'BadRequest', why);
const accepted: PowerAnswer = { code: 202 };

/** A `StatusError` to answer with, thrown from deep inside an action. */
class Answer extends Error {
  constructor(readonly answer: PowerAnswer) {
    super(JSON.stringify(answer.body));
  }
}

/**
 * virt-api's power subresources (`pkg/virt-api/rest/lifecycle.go`): each
 * action checks the VM/VMI like KubeVirt does, then asks the controllers
 * through the VM's `spec.runStrategy` or `status.stateChangeRequests`, exactly
 * as virt-api patches them, or (pause/unpause) asks virt-handler directly.
 */
export class PowerActions {
  constructor(
    private readonly ctx: SimulatorContext,
    private readonly handler: VirtHandler,
  ) {}

  async run(
    action: PowerAction,
    namespace: string,
    name: string,
    body: string,
  ): Promise<PowerAnswer> {
    let options: Record<string, unknown> = {};
    if (body.trim()) {
      try {
        options = JSON.parse(body) as Record<string, unknown>;
      } catch (error) {
        return badRequest(
          `Can not unmarshal Request body to struct, error: ${describeError(
            error,
          )}`,
        );
      }
    }
    try {
      switch (action) {
        case 'start':
          return await this.start(namespace, name, options);
        case 'stop':
          return await this.stop(namespace, name, options);
        case 'restart':
          return await this.restart(namespace, name, options);
        case 'migrate':
          return await this.migrate(namespace, name, options);
        case 'pause':
          return await this.pause(namespace, name, options);
        case 'unpause':
          return await this.unpause(namespace, name, options);
        default:
          return status(
            404,
            'NotFound',
            `unknown subresource ${String(action)}`,
          );
      }
    } catch (error) {
      if (error instanceof Answer) return error.answer;
      return internal(describeError(error));
    }
  }

  private async start(
    namespace: string,
    name: string,
    options: Record<string, unknown>,
  ): Promise<PowerAnswer> {
    const vm = await this.vm(namespace, name);
    const vmi = await this.vmi(namespace, name);
    if (
      vmi &&
      !isFinal(vmi) &&
      vmi.status?.phase !== 'Unknown' &&
      vmi.status?.phase
    ) {
      return conflict('virtualmachine', name, 'VM is already running');
    }
    const paused = options.paused === true;
    const dryRun = dryRunOf(options);
    const strategy = this.strategy(vm);
    switch (strategy) {
      case 'Halted':
        if (paused) {
          await this.patchRequests(
            vm,
            [{ action: 'Start', data: { paused: 'true' } }],
            dryRun,
          );
        } else {
          await this.patchRunning(vm, true, dryRun);
        }
        break;
      case 'RerunOnFailure':
      case 'Manual': {
        const data = paused ? { paused: 'true' } : undefined;
        const needsRestart =
          (strategy === 'RerunOnFailure' &&
            vmi?.status?.phase === 'Succeeded') ||
          (strategy === 'Manual' && vmi !== undefined && isFinal(vmi));
        if (strategy === 'RerunOnFailure' && vmi?.status?.phase === 'Failed') {
          return conflict(
            'virtualmachine',
            name,
            'RerunOnFailure does not support starting VM from failed state',
          );
        }
        const start: VirtualMachineStateChangeRequest = data
          ? { action: 'Start', data }
          : { action: 'Start' };
        await this.patchRequests(
          vm,
          needsRestart
            ? [{ action: 'Stop', uid: vmi!.metadata.uid }, start]
            : [start],
          dryRun,
        );
        break;
      }
      default:
        return conflict(
          'virtualmachine',
          name,
          `${strategy} does not support manual start requests`,
        );
    }
    return this.requested(namespace, name, 'start', dryRun);
  }

  private async stop(
    namespace: string,
    name: string,
    options: Record<string, unknown>,
  ): Promise<PowerAnswer> {
    const vm = await this.vm(namespace, name);
    const strategy = this.strategy(vm);
    const vmi = await this.vmi(namespace, name);
    const running = vmi !== undefined && !isFinal(vmi);
    const dryRun = dryRunOf(options);
    const gracePeriod =
      typeof options.gracePeriod === 'number' ? options.gracePeriod : undefined;
    let oldGracePeriod = 0;
    if (running && gracePeriod !== undefined) {
      oldGracePeriod = await this.patchGracePeriod(vmi!, gracePeriod, dryRun);
    }
    switch (strategy) {
      case 'Halted':
        if (!running)
          return conflict('virtualmachine', name, 'VM is not running');
        if (
          gracePeriod === undefined ||
          (vmi!.spec.terminationGracePeriodSeconds !== undefined &&
            gracePeriod >= oldGracePeriod)
        ) {
          return conflict(
            'virtualmachine',
            name,
            'Halted only supports manual stop requests with a shorter graceperiod',
          );
        }
        await this.patchRequests(
          vm,
          [{ action: 'Stop', uid: vmi!.metadata.uid }],
          dryRun,
        );
        break;
      case 'RerunOnFailure':
      case 'Manual':
        if (!running)
          return conflict('virtualmachine', name, 'VM is not running');
        await this.patchRequests(
          vm,
          [{ action: 'Stop', uid: vmi!.metadata.uid }],
          dryRun,
        );
        break;
      default:
        await this.patchRunning(vm, false, dryRun);
    }
    return this.requested(namespace, name, 'stop', dryRun);
  }

  private async restart(
    namespace: string,
    name: string,
    options: Record<string, unknown>,
  ): Promise<PowerAnswer> {
    const gracePeriod = options.gracePeriodSeconds;
    if (typeof gracePeriod === 'number') {
      if (gracePeriod > 0)
        return badRequest(
          'For force restart, only gracePeriod=0 is supported for now',
        );
      if (gracePeriod < 0)
        return badRequest('gracePeriod has to be greater or equal to 0');
    }
    const vm = await this.vm(namespace, name);
    if (hasCondition(vm.status?.conditions, 'VolumesChange', 'True')) {
      return conflict('virtualmachine', name, 'VM recovery required');
    }
    const strategy = this.strategy(vm);
    if (strategy === 'Halted' || strategy === 'Once') {
      return conflict(
        'virtualmachine',
        name,
        `RunStategy ${strategy} does not support manual restart requests`,
      );
    }
    const vmi = await this.vmi(namespace, name);
    if (!vmi)
      return conflict('virtualmachine', name, 'VM is not running: Halted');
    const dryRun = dryRunOf(options);
    if (gracePeriod === 0) await this.patchGracePeriod(vmi, 1, dryRun);
    await this.patchRequests(
      vm,
      [{ action: 'Stop', uid: vmi.metadata.uid }, { action: 'Start' }],
      dryRun,
    );
    return this.requested(namespace, name, 'restart', dryRun);
  }

  private async migrate(
    namespace: string,
    name: string,
    options: Record<string, unknown>,
  ): Promise<PowerAnswer> {
    await this.vm(namespace, name);
    const vmi = await this.vmi(namespace, name);
    if (!vmi) return notFound('virtualmachineinstance', name);
    if (vmi.status?.phase !== 'Running')
      return conflict('virtualmachine', name, 'VM is not running');
    try {
      await this.ctx.custom.createNamespacedCustomObject({
        group: 'kubevirt.io',
        version: 'v1',
        plural: 'virtualmachineinstancemigrations',
        namespace,
        body: {
          apiVersion: 'kubevirt.io/v1',
          kind: 'VirtualMachineInstanceMigration',
          metadata: { generateName: 'kubevirt-migrate-vm-' },
          spec: { vmiName: name, addedNodeSelector: options.addedNodeSelector },
        },
        dryRun: dryRunOf(options) ? 'All' : undefined,
      });
    } catch (error) {
      return internal(describeError(error));
    }
    this.ctx.log(`${namespace}/${name}: migration requested`);
    return accepted;
  }

  private async pause(
    namespace: string,
    name: string,
    options: Record<string, unknown>,
  ): Promise<PowerAnswer> {
    const vmi = await this.vmi(namespace, name);
    if (!vmi) return notFound('virtualmachineinstance', name);
    if (vmi.status?.phase !== 'Running')
      return conflict('virtualmachineinstance', name, 'VM is not running');
    const probe = vmi.spec.livenessProbe as
      | { guestAgentPing?: object }
      | undefined;
    if (probe && !probe.guestAgentPing) {
      return status(
        403,
        'Forbidden',
        `virtualmachineinstance.kubevirt.io "${name}" is forbidden: Pausing VMIs with a non-GuestAgentPing LivenessProbe is not supported`,
        { name, group: 'kubevirt.io', kind: 'virtualmachineinstance' },
      );
    }
    if (findCondition(vmi.status?.conditions, 'Paused')) {
      return conflict('virtualmachineinstance', name, 'VMI is already paused');
    }
    if (!dryRunOf(options)) await this.handler.pause(vmi);
    return { code: 200 };
  }

  private async unpause(
    namespace: string,
    name: string,
    options: Record<string, unknown>,
  ): Promise<PowerAnswer> {
    const vm = await readCustomObject<VirtualMachine>(
      this.ctx.custom,
      VIRTUAL_MACHINES,
      namespace,
      name,
    );
    if (vm?.status?.snapshotInProgress)
      return conflict('virtualmachine', name, 'VM snapshot is in progress');
    const vmi = await this.vmi(namespace, name);
    if (!vmi) return notFound('virtualmachineinstance', name);
    if (vmi.status?.phase !== 'Running')
      return conflict('virtualmachineinstance', name, 'VMI is not running');
    if (!findCondition(vmi.status?.conditions, 'Paused')) {
      return conflict('virtualmachineinstance', name, 'VMI is not paused');
    }
    if (!dryRunOf(options)) await this.handler.unpause(vmi);
    return { code: 200 };
  }

  /** Logs a start/stop/restart handed to the controllers; answers 202 Accepted. */
  private requested(
    namespace: string,
    name: string,
    action: PowerAction,
    dryRun: boolean,
  ): PowerAnswer {
    this.ctx.log(
      `${namespace}/${name}: ${action} requested${dryRun ? ' (dry run)' : ''}`,
    );
    return accepted;
  }

  private async vm(namespace: string, name: string): Promise<VirtualMachine> {
    const vm = await readCustomObject<VirtualMachine>(
      this.ctx.custom,
      VIRTUAL_MACHINES,
      namespace,
      name,
    );
    if (!vm) throw new Answer(notFound('virtualmachine', name));
    return vm;
  }

  private async vmi(
    namespace: string,
    name: string,
  ): Promise<VirtualMachineInstanceObject | undefined> {
    return readCustomObject<VirtualMachineInstanceObject>(
      this.ctx.custom,
      VIRTUAL_MACHINE_INSTANCES,
      namespace,
      name,
    );
  }

  private strategy(vm: VirtualMachine): string {
    try {
      return runStrategyOf(vm);
    } catch (error) {
      throw new Answer(internal(describeError(error)));
    }
  }

  /** `getRunningPatch`: flips `spec.runStrategy` (or the deprecated `spec.running`). */
  private async patchRunning(
    vm: VirtualMachine,
    running: boolean,
    dryRun: boolean,
  ) {
    const patch = vm.spec.runStrategy
      ? [
          { op: 'test', path: '/spec/runStrategy', value: vm.spec.runStrategy },
          {
            op: 'replace',
            path: '/spec/runStrategy',
            value: running ? 'Always' : 'Halted',
          },
        ]
      : [
          { op: 'test', path: '/spec/running', value: vm.spec.running ?? null },
          { op: 'replace', path: '/spec/running', value: running },
        ];
    await this.patch(vm, patch, false, dryRun);
  }

  /** `getChangeRequestJson`: adds state change requests for virt-controller. */
  private async patchRequests(
    vm: VirtualMachine,
    changes: VirtualMachineStateChangeRequest[],
    dryRun: boolean,
  ) {
    const current = vm.status?.stateChangeRequests ?? [];
    const patch: object[] = [];
    if (!vm.status || Object.keys(vm.status).length === 0) {
      patch.push({
        op: 'add',
        path: '/status',
        value: { stateChangeRequests: changes },
      });
    } else {
      patch.push({
        op: 'test',
        path: '/status/stateChangeRequests',
        value: vm.status.stateChangeRequests ?? null,
      });
      if (current.length === 0)
        patch.push({
          op: 'add',
          path: '/status/stateChangeRequests',
          value: changes,
        });
      else if (changes.length === 1 && changes[0].action === 'Stop') {
        patch.push({
          op: 'replace',
          path: '/status/stateChangeRequests',
          value: changes,
        });
      } else {
        throw new Answer(
          internal('unable to complete request: stop/start already underway'),
        );
      }
      if (vm.status.startFailure)
        patch.push({ op: 'remove', path: '/status/startFailure' });
    }
    await this.patch(vm, patch, true, dryRun);
  }

  private async patch(
    vm: VirtualMachine,
    patch: object[],
    statusSubresource: boolean,
    dryRun: boolean,
  ) {
    const request = {
      ...VIRTUAL_MACHINES,
      namespace: vm.metadata.namespace!,
      name: vm.metadata.name!,
      body: patch,
      dryRun: dryRun ? 'All' : undefined,
    };
    try {
      if (statusSubresource)
        await this.ctx.custom.patchNamespacedCustomObjectStatus(request);
      else await this.ctx.custom.patchNamespacedCustomObject(request);
    } catch (error) {
      const message = describeError(error);
      if (
        isPatchTestFailure(error) ||
        message.includes(JSONPATCH_TEST_FAILED) ||
        errorStatus(error) === 409
      ) {
        throw new Answer(
          conflict('virtualmachine', vm.metadata.name!, message),
        );
      }
      throw new Answer(internal(message));
    }
  }

  /** `patchVMITerminationGracePeriod`; returns the previous grace period. */
  private async patchGracePeriod(
    vmi: VirtualMachineInstanceObject,
    seconds: number,
    dryRun: boolean,
  ): Promise<number> {
    const previous = vmi.spec.terminationGracePeriodSeconds;
    try {
      await this.ctx.custom.patchNamespacedCustomObject({
        ...VIRTUAL_MACHINE_INSTANCES,
        namespace: vmi.metadata.namespace!,
        name: vmi.metadata.name!,
        body: [
          {
            op: 'test',
            path: '/spec/terminationGracePeriodSeconds',
            value: previous ?? null,
          },
          {
            op: 'replace',
            path: '/spec/terminationGracePeriodSeconds',
            value: seconds,
          },
        ],
        dryRun: dryRun ? 'All' : undefined,
      });
    } catch (error) {
      throw new Answer(internal(describeError(error)));
    }
    return previous ?? 0;
  }
}

/** StartOptions/StopOptions/… carry `dryRun: ["All"]`. */
function dryRunOf(options: Record<string, unknown>): boolean {
  return Array.isArray(options.dryRun) && options.dryRun.includes('All');
}
