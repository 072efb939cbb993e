import { useApi } from '@backstage/core-plugin-api';
import { useCallback, useSyncExternalStore } from 'react';
import { kubevirtApiRef } from '../../api/KubevirtApi';
import {
  virtualMachineStateBatcher,
  type VirtualMachineLiveStateResult,
} from './VirtualMachineStateBatcher';

/**
 * The live state of the VM of one entity (`component:default/web-1`): read with the
 * other rows on screen in one batched call, and again every 30 seconds while shown.
 */
export function useVirtualMachineLiveState(
  entityRef: string,
): VirtualMachineLiveStateResult {
  const batcher = virtualMachineStateBatcher(useApi(kubevirtApiRef));
  const subscribe = useCallback(
    (listener: () => void) => batcher.subscribe(entityRef, listener),
    [batcher, entityRef],
  );
  const getSnapshot = useCallback(
    () => batcher.getSnapshot(entityRef),
    [batcher, entityRef],
  );
  return useSyncExternalStore(subscribe, getSnapshot);
}
