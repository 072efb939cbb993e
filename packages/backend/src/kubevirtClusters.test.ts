import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import catalogModuleKubevirt from '@vmportal/plugin-catalog-backend-module-kubevirt';
import kubevirtPlugin from '@vmportal/plugin-kubevirt-backend';
import { KubeApiTransport } from '@vmportal/plugin-kubevirt-node';
import scaffolderModuleKubevirt from '@vmportal/plugin-scaffolder-backend-module-kubevirt';

// The three KubeVirt backend packages share one cluster service: one backend holds one
// transport (connection pool) per cluster and credential, not one set per package.
describe('one backend with every KubeVirt package', () => {
  afterEach(() => jest.restoreAllMocks());

  it('builds one client per cluster and credential, shared by the catalog, scaffolder and kubevirt plugins', async () => {
    const create = jest.spyOn(KubeApiTransport, 'create');
    // Nothing listens here: the test counts clients, it does not talk to clusters.
    const cluster = (name: string) => ({
      name,
      url: 'https://127.0.0.1:9',
      authProvider: 'serviceAccount',
      serviceAccountToken: `${name}-reader`,
    });
    const backend = await startTestBackend({
      features: [
        catalogPlugin,
        catalogModuleKubevirt,
        scaffolderPlugin,
        scaffolderModuleKubevirt,
        kubevirtPlugin,
        mockServices.rootConfig.factory({
          data: {
            kubernetes: {
              clusterLocatorMethods: [
                { type: 'config', clusters: [cluster('east'), cluster('west')] },
              ],
            },
            kubevirt: {
              clusters: {
                east: { actor: { serviceAccountToken: 'east-actor' } },
                west: { actor: { serviceAccountToken: 'west-actor' } },
              },
            },
            catalog: { providers: { kubevirt: { demo: {} } } },
          },
        }),
      ],
    });
    try {
      const transports = create.mock.calls.map(
        ([options]) => options.cluster,
      );
      console.log(
        `KubeApiTransport.create calls in one backend: ${transports.length} (${transports.join(', ')})`,
      );
      expect(transports.sort()).toEqual(['east', 'east', 'west', 'west']);
    } finally {
      await backend.stop();
    }
  });
});
