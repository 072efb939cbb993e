import { renderInTestApp } from '@backstage/test-utils';
import { screen, within } from '@testing-library/react';
import type { VirtualMachineDiagnosis } from '@vmportal/plugin-kubevirt-common';
import { VirtualMachineDiagnosisPanel } from './VirtualMachineDiagnosisPanel';

const storageClass: VirtualMachineDiagnosis = {
  cause: 'storage-class',
  title: "A disk's storage class does not exist",
  detail:
    'DataVolume web-1-data asks for storage class fast-ssd, which cluster east does not have (it has standard), so CDI cannot create its claim.',
  fix: 'Ask the platform team to create storage class fast-ssd, or have the disk changed to a class the cluster has; CDI creates the disk as soon as its class exists.',
  evidence: {
    object: { kind: 'DataVolume', name: 'web-1-data' },
    what: 'condition',
    name: 'Bound',
    reason: 'ErrClaimNotValid',
    message:
      'PVC spec is missing accessMode and no storageClass to choose profile',
  },
};

describe('VirtualMachineDiagnosisPanel', () => {
  it('says what is wrong, by how much, what to do and where it was read', async () => {
    await renderInTestApp(
      <VirtualMachineDiagnosisPanel diagnosis={storageClass} />,
    );
    const panel = screen.getByRole('region', {
      name: 'Why is it not running?',
    });
    expect(
      within(panel).getByText(`Warning: ${storageClass.title}`),
    ).toBeVisible();
    expect(within(panel).getByText(storageClass.detail)).toBeVisible();
    expect(within(panel).getByText(storageClass.fix)).toBeVisible();
    expect(
      within(panel).getByText(
        'From the condition Bound of DataVolume web-1-data — ErrClaimNotValid: PVC spec is missing accessMode and no storageClass to choose profile',
      ),
    ).toBeVisible();
  });

  it('shows a paused VM as information, not as a warning', async () => {
    await renderInTestApp(
      <VirtualMachineDiagnosisPanel
        diagnosis={{
          cause: 'paused',
          title: 'The VM is paused',
          detail: 'The guest of web-1 is paused.',
          fix: 'Unpause it to let it run again, or stop it to free its share of the quota.',
          evidence: {
            object: { kind: 'VirtualMachine', name: 'web-1' },
            what: 'condition',
            name: 'Paused',
            reason: 'PausedByUser',
          },
        }}
      />,
    );
    expect(screen.getByText('Info: The VM is paused')).toBeVisible();
  });
});
