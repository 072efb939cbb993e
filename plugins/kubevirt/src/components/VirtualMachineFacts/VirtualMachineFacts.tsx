import { StructuredMetadataTable } from '@backstage/core-components';
import type { VirtualMachineView } from '@vmportal/plugin-kubevirt-common';
import { formatDuration } from '../../lib/format';
import { VirtualMachineStatus } from '../VirtualMachineStatus';

/** The IP addresses of all of a VM's interfaces. */
export function ipAddresses(view: VirtualMachineView): string[] {
  return view.interfaces.flatMap(nic => nic.ipAddresses);
}

/** The guest OS in one line, or a dash when the guest agent did not say. */
export function guestOsName(view: VirtualMachineView): string {
  const os = view.guestOS;
  return (
    os?.prettyName ?? ([os?.name, os?.version].filter(Boolean).join(' ') || '—')
  );
}

/** How long the running VMI has been up; a dash when it is not running. */
export function uptime(view: VirtualMachineView, now: number): string {
  if (!view.startedAt) {
    return '—';
  }
  const started = Date.parse(view.startedAt);
  return Number.isNaN(started) ? '—' : formatDuration(now - started);
}

/** The size of a VM in one line: `u1.medium · 1 vCPU · 4Gi`. */
export function sizeSummary(view: VirtualMachineView): string {
  const vcpus = `${view.size.vcpus} vCPU${view.size.vcpus === 1 ? '' : 's'}`;
  return [view.size.instancetype, vcpus, view.size.memory]
    .filter(Boolean)
    .join(' · ');
}

/** The facts people look for first: state, size, where it runs, how to reach it. */
export function VirtualMachineFacts(props: {
  view: VirtualMachineView;
  dense?: boolean;
}) {
  const { view, dense } = props;
  const ips = ipAddresses(view);
  return (
    <StructuredMetadataTable
      dense={dense}
      options={{ titleFormat: key => key }}
      metadata={{
        Status: <VirtualMachineStatus status={view.printableStatus} />,
        'Run strategy': view.runStrategy,
        Uptime: uptime(view, Date.now()),
        Node: view.node ?? '—',
        Size: sizeSummary(view),
        'Guest OS': guestOsName(view),
        'IP addresses': ips.length > 0 ? ips.join(', ') : '—',
      }}
    />
  );
}
