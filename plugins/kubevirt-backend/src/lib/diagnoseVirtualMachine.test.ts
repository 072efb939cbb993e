import type {
  DataVolumeObject,
  KubevirtCondition,
  VirtualMachine,
} from '@vmportal/plugin-kubevirt-common';
import {
  diagnoseVirtualMachine,
  diagnosisNeeds,
  VirtualMachineFacts,
} from './diagnoseVirtualMachine';
import { parseQuotaRefusal } from './launcherPodQuotaShortfalls';

/*
 * The control-plane cases are in service/diagnosis.test.ts; these are the ones the
 * simulator does not produce, and the order in which causes win.
 */

const QUOTA_MESSAGE =
  'failed to create virtual machine pod: pods "virt-launcher-web-1-abcde" is forbidden: exceeded quota: team-quota, requested: limits.memory=7024Mi,requests.memory=3512Mi, used: limits.memory=0,requests.memory=1Gi, limited: limits.memory=8Gi,requests.memory=4Gi';

function vm(
  printableStatus: string,
  conditions: KubevirtCondition[] = [],
  volumes: object[] = [],
): VirtualMachine {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'web-1', namespace: 'team-web' },
    spec: {
      runStrategy: 'Always',
      template: { spec: { domain: {}, volumes } },
    },
    status: { printableStatus, conditions },
  } as VirtualMachine;
}

function facts(
  machine: VirtualMachine,
  dataVolumes: DataVolumeObject[] = [],
): VirtualMachineFacts {
  return {
    cluster: 'east',
    vm: machine,
    dataVolumes: new Map(dataVolumes.map(dv => [dv.metadata.name, dv])),
    claims: new Map(),
  };
}

const refusedPod: KubevirtCondition = {
  type: 'Synchronized',
  status: 'False',
  reason: 'FailedCreate',
  message: QUOTA_MESSAGE,
};

describe('parseQuotaRefusal', () => {
  it("reads the quota and the apiserver's figures from its refusal", () => {
    expect(parseQuotaRefusal(QUOTA_MESSAGE)).toEqual({
      quota: 'team-quota',
      requested: { 'limits.memory': '7024Mi', 'requests.memory': '3512Mi' },
      used: { 'limits.memory': '0', 'requests.memory': '1Gi' },
      limited: { 'limits.memory': '8Gi', 'requests.memory': '4Gi' },
    });
    expect(parseQuotaRefusal('pods "x" is forbidden: no')).toBeUndefined();
  });
});

describe('diagnoseVirtualMachine', () => {
  it('says nothing of a running VM, or of one stopped on purpose', () => {
    expect(diagnoseVirtualMachine(facts(vm('Running')))).toBeUndefined();
    expect(diagnoseVirtualMachine(facts(vm('Stopped')))).toBeUndefined();
    expect(diagnoseVirtualMachine(facts(vm('Starting')))).toBeUndefined();
  });

  it("falls back on the apiserver's figures when the plan's arithmetic could not be done", () => {
    const machine = vm('Starting', [refusedPod]);
    expect(diagnosisNeeds(facts(machine))).toEqual({
      read: 'quota',
      quota: 'team-quota',
    });
    const diagnosis = diagnoseVirtualMachine(facts(machine));
    // limits.memory fits (7024Mi of 8Gi free); requests.memory does not (3Gi free).
    expect(diagnosis?.shortfalls).toEqual([
      {
        quota: 'team-quota',
        resource: 'requests.memory',
        needs: '3512Mi',
        free: '3Gi',
        short: '440Mi',
      },
    ]);
    expect(diagnosis?.detail).toBe(
      'ResourceQuota team-quota: requests.memory short by 440 MiB (needs 3.4 GiB, 3 GiB free).',
    );
  });

  it("prefers the plan's arithmetic when given", () => {
    const diagnosis = diagnoseVirtualMachine({
      ...facts(vm('Starting', [refusedPod])),
      quotaShortfalls: [
        {
          quota: 'team-quota',
          resource: 'requests.memory',
          needs: '3512Mi',
          free: '2Gi',
          short: '1464Mi',
        },
      ],
    });
    expect(diagnosis?.detail).toBe(
      'ResourceQuota team-quota: requests.memory short by 1.5 GiB (needs 3.4 GiB, 2 GiB free).',
    );
  });

  it('says a paused VM is paused before anything else', () => {
    const diagnosis = diagnoseVirtualMachine(
      facts(
        vm('Paused', [
          refusedPod,
          { type: 'Paused', status: 'True', reason: 'PausedByUser' },
        ]),
      ),
    );
    expect(diagnosis?.cause).toBe('paused');
  });

  it("reports a failure it has no words of its own for in KubeVirt's words", () => {
    const diagnosis = diagnoseVirtualMachine(
      facts(
        vm('CrashLoopBackOff', [
          {
            type: 'Failure',
            status: 'True',
            reason: 'FailedCreate',
            message: 'Failure while starting VMI: admission webhook denied it',
          },
        ]),
      ),
    );
    expect(diagnosis).toMatchObject({
      cause: 'failure',
      title: 'KubeVirt cannot start the VM',
      detail:
        'FailedCreate: Failure while starting VMI: admission webhook denied it',
    });
  });

  it('shows how far an import has come while the disks are prepared, without the URL password', () => {
    const dv = {
      apiVersion: 'cdi.kubevirt.io/v1beta1',
      kind: 'DataVolume',
      metadata: { name: 'web-1-root', namespace: 'team-web' },
      spec: {
        source: {
          http: { url: 'https://mirror:s3cret@images.example.com/f41.qcow2' },
        },
      },
      status: { phase: 'ImportInProgress', progress: '45.20%' },
    } as DataVolumeObject;
    const diagnosis = diagnoseVirtualMachine(
      facts(
        vm(
          'Provisioning',
          [],
          [{ name: 'root', dataVolume: { name: 'web-1-root' } }],
        ),
        [dv],
      ),
    );
    expect(diagnosis).toMatchObject({
      cause: 'import-waiting',
      detail:
        'DataVolume web-1-root (import from https://mirror:redacted@images.example.com/f41.qcow2): ImportInProgress 45.20%.',
      fix: 'Nothing to do: KubeVirt starts the VM by itself once its disks are ready.',
    });
  });
});
