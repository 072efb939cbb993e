import type { VirtualMachineLiveState } from '@vmportal/plugin-kubevirt-common';
import { runningState } from '../../__fixtures__/inventoryEntities';
import { VirtualMachineStateBatcher } from './VirtualMachineStateBatcher';

function fakeApi() {
  return {
    getVirtualMachineStates: jest.fn(
      async (refs: string[]): Promise<VirtualMachineLiveState[]> =>
        refs.map(ref => runningState(ref)),
    ),
  };
}

// The refresh tick, and the batch it schedules (the fake clock runs a zero delay
// set during a tick one millisecond later).
async function nextRefresh() {
  await jest.advanceTimersByTimeAsync(30_000);
  await jest.advanceTimersByTimeAsync(1);
}

const refs = (count: number) =>
  Array.from({ length: count }, (_, i) => `component:default/vm-${i}`);

describe('VirtualMachineStateBatcher', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('reads the refs asked for in one tick with one call per 100, each ref once', async () => {
    const api = fakeApi();
    const batcher = new VirtualMachineStateBatcher(api);
    const listener = jest.fn();
    // 150 rows, each with a status and an IP cell.
    for (const ref of refs(150)) {
      batcher.subscribe(ref, () => listener(ref));
      batcher.subscribe(ref, () => listener(ref));
    }
    expect(batcher.getSnapshot('component:default/vm-0')).toEqual({
      loading: true,
    });
    await jest.advanceTimersByTimeAsync(0);

    expect(api.getVirtualMachineStates).toHaveBeenCalledTimes(2);
    expect(api.getVirtualMachineStates.mock.calls[0][0]).toEqual(
      refs(150).slice(0, 100),
    );
    expect(api.getVirtualMachineStates.mock.calls[1][0]).toEqual(
      refs(150).slice(100),
    );
    expect(batcher.getSnapshot('component:default/vm-149')).toEqual({
      loading: false,
      state: runningState('component:default/vm-149'),
    });
    expect(listener).toHaveBeenCalledTimes(300);

    // A cell that mounts again soon after reuses the state.
    batcher.subscribe('component:default/vm-3', () => {});
    await jest.advanceTimersByTimeAsync(0);
    expect(api.getVirtualMachineStates).toHaveBeenCalledTimes(2);
  });

  it('reads the rows on screen again every 30 s, and stops when none is left', async () => {
    const api = fakeApi();
    const batcher = new VirtualMachineStateBatcher(api);
    const stopA = batcher.subscribe('component:default/a', () => {});
    const stopB = batcher.subscribe('component:default/b', () => {});
    await jest.advanceTimersByTimeAsync(0);
    expect(api.getVirtualMachineStates).toHaveBeenCalledTimes(1);

    await nextRefresh();
    expect(api.getVirtualMachineStates).toHaveBeenCalledTimes(2);
    expect(api.getVirtualMachineStates).toHaveBeenLastCalledWith([
      'component:default/a',
      'component:default/b',
    ]);

    stopA();
    await nextRefresh();
    expect(api.getVirtualMachineStates).toHaveBeenLastCalledWith([
      'component:default/b',
    ]);

    stopB();
    await nextRefresh();
    await nextRefresh();
    expect(api.getVirtualMachineStates).toHaveBeenCalledTimes(3);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('gives every ref of a failed call the error', async () => {
    const api = fakeApi();
    api.getVirtualMachineStates.mockRejectedValueOnce(
      new Error('the kubevirt backend refused the call'),
    );
    const batcher = new VirtualMachineStateBatcher(api);
    batcher.subscribe('component:default/a', () => {});
    await jest.advanceTimersByTimeAsync(0);
    expect(batcher.getSnapshot('component:default/a')).toEqual({
      loading: false,
      error: new Error('the kubevirt backend refused the call'),
    });
  });
});
