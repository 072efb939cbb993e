import { ConfigReader } from '@backstage/config';
import { readClustersConfig } from './readClustersConfig';

const cluster = {
  name: 'east',
  url: 'https://127.0.0.1:6443',
  authProvider: 'serviceAccount',
  serviceAccountToken: 'token-value',
  caData: 'Y2E=',
};

function read(clusters: object[]) {
  return readClustersConfig(
    new ConfigReader({
      kubernetes: {
        clusterLocatorMethods: [
          { type: 'catalog' },
          { type: 'config', clusters },
        ],
      },
    }),
  );
}

describe('readClustersConfig', () => {
  it('reads the Kubernetes plugin config clusters', () => {
    expect(read([cluster])).toEqual([
      {
        name: 'east',
        url: 'https://127.0.0.1:6443',
        serviceAccountToken: 'token-value',
        caData: 'Y2E=',
        skipTLSVerify: false,
        title: undefined,
      },
    ]);
  });

  it('returns no clusters when none are configured', () => {
    expect(readClustersConfig(new ConfigReader({}))).toEqual([]);
  });

  it('names the key and the fix for an unsupported auth provider', () => {
    expect(() => read([{ ...cluster, authProvider: 'oidc' }])).toThrow(
      "kubernetes.clusterLocatorMethods[1].clusters[0].authProvider is 'oidc' on cluster 'east'; the KubeVirt plugins act as a service account: set authProvider: serviceAccount",
    );
  });

  it('refuses a cluster without a token and never echoes other secrets', () => {
    const { serviceAccountToken, ...withoutToken } = cluster;
    expect(() => read([withoutToken])).toThrow(
      /clusters\[0\]\.serviceAccountToken is missing on cluster 'east'/,
    );
  });

  it('refuses two clusters with one name', () => {
    expect(() => read([cluster, { ...cluster, url: 'https://x' }])).toThrow(
      "kubernetes.clusterLocatorMethods[1].clusters[1].name 'east' is used by another cluster",
    );
  });
});
