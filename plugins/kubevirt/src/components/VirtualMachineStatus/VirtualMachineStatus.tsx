import {
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
} from '@backstage/core-components';
import { statusKind } from '../../lib/vmStatus';

/** A VM's printableStatus with the status icon that fits it. */
export function VirtualMachineStatus(props: { status: string }) {
  const { status } = props;
  switch (statusKind(status)) {
    case 'ok':
      return <StatusOK>{status}</StatusOK>;
    case 'stopped':
      return <StatusAborted>{status}</StatusAborted>;
    case 'paused':
      return <StatusPending>{status}</StatusPending>;
    case 'changing':
      return <StatusRunning>{status}</StatusRunning>;
    default:
      return <StatusError>{status}</StatusError>;
  }
}
