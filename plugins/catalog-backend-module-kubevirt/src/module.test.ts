import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { catalogModuleKubevirtEntityProvider } from './module';

const clusters = {
  clusterLocatorMethods: [
    {
      type: 'config',
      clusters: [
        {
          name: 'east',
          url: 'https://127.0.0.1:1',
          authProvider: 'serviceAccount',
          serviceAccountToken: 'token',
        },
      ],
    },
  ],
};

async function start(data: object) {
  const addEntityProvider = jest.fn();
  const backend = await startTestBackend({
    extensionPoints: [
      [
        catalogProcessingExtensionPoint,
        { addEntityProvider, addProcessor: jest.fn() },
      ],
    ],
    features: [
      catalogModuleKubevirtEntityProvider,
      mockServices.rootConfig.factory({ data }),
    ],
  });
  return { addEntityProvider, backend };
}

describe('catalogModuleKubevirtEntityProvider', () => {
  it('starts inside the catalog with no providers configured', async () => {
    const { addEntityProvider, backend } = await start({});
    expect(addEntityProvider).not.toHaveBeenCalled();
    await backend.stop();
  });

  it('registers one provider per configured id', async () => {
    const { addEntityProvider, backend } = await start({
      kubernetes: clusters,
      catalog: {
        providers: { kubevirt: { east: {}, audit: { clusters: ['east'] } } },
      },
    });
    expect(
      addEntityProvider.mock.calls.map(([p]) => p.getProviderName()),
    ).toEqual(['kubevirt-provider:east', 'kubevirt-provider:audit']);
    await backend.stop();
  });

  it('fails start-up on the old key, naming the new one', async () => {
    await expect(
      start({
        kubernetes: clusters,
        kubevirt: { catalog: { providers: { main: {} } } },
      }),
    ).rejects.toThrow(
      'kubevirt.catalog.providers is no longer read; move its providers to catalog.providers.kubevirt',
    );
  });

  it('fails start-up naming a cluster that is not configured', async () => {
    await expect(
      start({
        kubernetes: clusters,
        catalog: { providers: { kubevirt: { main: { clusters: ['west'] } } } },
      }),
    ).rejects.toThrow(
      "catalog.providers.kubevirt.main.clusters[0] 'west' is not a cluster of kubernetes.clusterLocatorMethods (type config); known clusters: east",
    );
  });
});
