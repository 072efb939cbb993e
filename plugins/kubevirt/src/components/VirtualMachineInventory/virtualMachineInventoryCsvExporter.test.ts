import { stringifyEntityRef } from '@backstage/catalog-model';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { TestApiRegistry } from '@backstage/test-utils';
import { KUBEVIRT_ENTITY_LABELS } from '@vmportal/plugin-kubevirt-common';
import { kubevirtApiRef } from '../../api/KubevirtApi';
import {
  inventoryEntity,
  runningState,
} from '../../__fixtures__/inventoryEntities';
import { mockKubevirtApi } from '../../__fixtures__/virtualMachineView';
import { virtualMachineInventoryCsvExporter } from './virtualMachineInventoryCsvExporter';

async function collect(generator: AsyncGenerator<string, void, unknown>) {
  let text = '';
  for await (const part of generator) text += part;
  return text;
}

describe('virtualMachineInventoryCsvExporter', () => {
  it('writes the filtered VMs with their live state, reading it 100 VMs at a time', async () => {
    const east = Array.from({ length: 149 }, (_, i) =>
      inventoryEntity({ name: `vm-${String(i).padStart(3, '0')}` }),
    );
    const hidden = inventoryEntity({ name: 'vm-secret', os: '=cmd|calc' });
    const west = inventoryEntity({ name: 'vm-west', cluster: 'west' });
    const service = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: 'not-a-vm',
        labels: { [KUBEVIRT_ENTITY_LABELS.cluster]: 'east' },
      },
      spec: { type: 'service', owner: 'team-web' },
    };
    const api = mockKubevirtApi();
    api.getVirtualMachineStates.mockImplementation(async refs =>
      refs.map(ref =>
        ref === stringifyEntityRef(hidden)
          ? {
              entityRef: ref,
              gap: 'not-allowed' as const,
              message: "You may not see this VM's live state",
            }
          : runningState(ref, ['10.244.1.17', 'fd00::17']),
      ),
    );
    const apis = TestApiRegistry.from(
      [
        catalogApiRef,
        catalogApiMock({ entities: [...east, hidden, west, service] }),
      ],
      [kubevirtApiRef, api],
    );

    const { generator, contentType } = virtualMachineInventoryCsvExporter({
      apis,
      columns: [],
      streamRequest: {
        filter: { 'metadata.labels.kubevirt.vmportal.io/cluster': ['east'] },
        orderFields: { field: 'metadata.name', order: 'asc' },
      },
    });
    expect(contentType).toBe('text/csv; charset=utf-8');
    const lines = (await collect(generator)).split('\r\n');

    expect(lines[0]).toBe(
      'Name,Entity,Owner,Cluster,Namespace,vCPUs,Memory,Instancetype,OS,Run strategy,Status,IP addresses,Node',
    );
    expect(lines[1]).toBe(
      'vm-000,component:default/east-team-web-vm-000,team-web,east,team-web,1,4 GiB,u1.medium,fedora,Always,Running,10.244.1.17 fd00::17,node-a',
    );
    // 150 VMs of east, in order; neither west's VM nor the service.
    expect(lines.slice(1, -1)).toHaveLength(150);
    expect(lines[lines.length - 1]).toBe('');
    // A VM whose state the user may not see: no state, and a defused formula.
    expect(lines[150]).toBe(
      "vm-secret,component:default/east-team-web-vm-secret,team-web,east,team-web,1,4 GiB,u1.medium,'=cmd|calc,Always,,,",
    );
    expect(api.getVirtualMachineStates).toHaveBeenCalledTimes(2);
    expect(api.getVirtualMachineStates.mock.calls[0][0]).toHaveLength(100);
    expect(api.getVirtualMachineStates.mock.calls[1][0]).toHaveLength(50);
  });

  it('fails naming the missing API', () => {
    expect(() =>
      virtualMachineInventoryCsvExporter({
        apis: TestApiRegistry.from([catalogApiRef, catalogApiMock()]),
        columns: [],
      }),
    ).toThrow(/KubeVirt API \(kubevirtApiRef\)/);
  });
});
