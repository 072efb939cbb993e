import { renderInTestApp } from '@backstage/test-utils';
import { screen } from '@testing-library/react';
import { VirtualMachineStatus } from './VirtualMachineStatus';

describe('VirtualMachineStatus', () => {
  it.each([
    ['Running', 'Status ok'],
    ['Stopped', 'Status aborted'],
    ['Paused', 'Status pending'],
    ['Stopping', 'Status running'],
    ['CrashLoopBackOff', 'Status error'],
  ])('shows %s with the "%s" icon', async (status, icon) => {
    await renderInTestApp(<VirtualMachineStatus status={status} />);
    expect(screen.getByText(status)).toHaveAttribute('aria-label', icon);
  });
});
