import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { NotFoundError, ServiceUnavailableError } from '@backstage/errors';
import type { KubevirtAuthStrategy } from '../auth/KubevirtAuthStrategy';
import { KubeApiTransport } from '../transport/KubeApiTransport';
import { DefaultKubevirtClustersService } from './KubevirtClustersService';

const east = {
  name: 'east',
  url: 'https://127.0.0.1:6443',
  authProvider: 'serviceAccount',
  serviceAccountToken: 'reader-token',
  caData: 'Y2E=',
};

function service(
  clusters: object[],
  kubevirt?: object,
  authStrategies?: Record<string, KubevirtAuthStrategy>,
) {
  return DefaultKubevirtClustersService.fromConfig(
    new ConfigReader({
      kubernetes: { clusterLocatorMethods: [{ type: 'config', clusters }] },
      ...(kubevirt && { kubevirt }),
    }),
    { logger: mockServices.logger.mock(), authStrategies },
  );
}

describe('DefaultKubevirtClustersService', () => {
  afterEach(() => jest.restoreAllMocks());

  it('builds one transport per cluster and credential, once', () => {
    const create = jest.spyOn(KubeApiTransport, 'create');
    const clusters = service([east, { ...east, name: 'west' }], {
      clusters: { east: { actor: { serviceAccountToken: 'actor-token' } } },
    });
    expect(create).toHaveBeenCalledTimes(3);
    expect(clusters.list()).toEqual([{ name: 'east' }, { name: 'west' }]);
    // The same objects every time: no client is built per call.
    expect(clusters.get('east').page).toBe(clusters.get('east').page);
    expect(clusters.get('east').actor()).toBe(clusters.get('east').actor());
    expect(create).toHaveBeenCalledTimes(3);
  });

  it('names the configured clusters when asked for another', () => {
    expect(() => service([east]).get('nope')).toThrow(
      new NotFoundError(
        "cluster 'nope' is not configured; the configured clusters are east",
      ),
    );
  });

  it('refuses to act on a cluster without an actor credential, naming the key', () => {
    const error = (() => {
      try {
        service([east]).get('east').actor();
        return undefined;
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as Error).message).toContain(
      'kubevirt.clusters.east.actor.serviceAccountToken',
    );
  });

  it('names the key and the fix for an unsupported auth provider', () => {
    expect(() => service([{ ...east, authProvider: 'oidc' }])).toThrow(
      "kubernetes.clusterLocatorMethods[0].clusters[0].authProvider is 'oidc' on cluster 'east'; the KubeVirt plugins know serviceAccount: use one of them, or register a strategy for it (kubevirtAuthStrategyServiceRef)",
    );
  });

  it('refuses a credential without a token and never echoes other secrets', () => {
    const { serviceAccountToken, ...withoutToken } = east;
    expect(() => service([withoutToken])).toThrow(
      /clusters\[0\]\.serviceAccountToken is missing on cluster 'east'/,
    );
    expect(() =>
      service([east], { clusters: { east: { actor: {} } } }),
    ).toThrow(
      "kubevirt.clusters.east.actor.serviceAccountToken is missing on cluster 'east'",
    );
    const message = (() => {
      try {
        service([withoutToken], {
          clusters: {
            east: { actor: { serviceAccountToken: 'actor-secret' } },
          },
        });
        return 'no error';
      } catch (error) {
        return String(error);
      }
    })();
    expect(message).toContain('serviceAccountToken is missing');
    expect(message).not.toContain('actor-secret');
  });

  it('uses a registered auth strategy for its authProvider', async () => {
    const strategy: KubevirtAuthStrategy = {
      getCredential: async () => ({ type: 'bearer token', token: 'fresh' }),
      validate: () => [],
    };
    const create = jest.spyOn(KubeApiTransport, 'create');
    service(
      [{ name: 'east', url: east.url, authProvider: 'oidc' }],
      undefined,
      {
        oidc: strategy,
      },
    );
    await expect(create.mock.calls[0][0].credential()).resolves.toEqual({
      type: 'bearer token',
      token: 'fresh',
    });
  });
});
