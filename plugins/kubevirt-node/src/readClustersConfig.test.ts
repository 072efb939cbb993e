import { ConfigReader } from '@backstage/config';
import { readClustersConfig } from './readClustersConfig';

const cluster = {
  name: 'east',
  url: 'https://127.0.0.1:6443',
  authProvider: 'serviceAccount',
  serviceAccountToken: 'token-value',
  caData: 'Y2E=',
};

function read(clusters: object[], kubevirt?: object) {
  return readClustersConfig(
    new ConfigReader({
      kubernetes: {
        clusterLocatorMethods: [
          { type: 'catalog' },
          { type: 'config', clusters },
        ],
      },
      ...(kubevirt && { kubevirt }),
    }),
  );
}

/** What a test can compare: the credentials' config as plain data. */
function plain(clusters: ReturnType<typeof read>) {
  return clusters.map(({ reader, actor, ...rest }) => ({
    ...rest,
    reader: { ...reader, config: reader.config.get() },
    ...(actor && { actor: { ...actor, config: actor.config.get() } }),
  }));
}

describe('readClustersConfig', () => {
  it('reads the Kubernetes plugin config clusters, their reader credential and no actor', () => {
    expect(plain(read([cluster]))).toEqual([
      {
        name: 'east',
        url: 'https://127.0.0.1:6443',
        caData: 'Y2E=',
        skipTLSVerify: false,
        title: undefined,
        reader: {
          cluster: 'east',
          key: 'kubernetes.clusterLocatorMethods[1].clusters[0]',
          authProvider: 'serviceAccount',
          config: cluster,
        },
      },
    ]);
  });

  it('reads the actor credential from kubevirt.clusters, serviceAccount by default', () => {
    const [east] = plain(
      read([cluster], {
        clusters: { east: { actor: { serviceAccountToken: 'actor-token' } } },
      }),
    );
    expect(east.actor).toEqual({
      cluster: 'east',
      key: 'kubevirt.clusters.east.actor',
      authProvider: 'serviceAccount',
      config: { serviceAccountToken: 'actor-token' },
    });
  });

  it('refuses kubevirt.clusters entries that name no configured cluster', () => {
    expect(() =>
      read([cluster], { clusters: { west: { actor: {} } } }),
    ).toThrow(
      'kubevirt.clusters.west names no cluster of kubernetes.clusterLocatorMethods (type config); use one of east',
    );
  });

  it('returns no clusters when none are configured', () => {
    expect(readClustersConfig(new ConfigReader({}))).toEqual([]);
  });

  it('refuses two clusters with one name', () => {
    expect(() => read([cluster, { ...cluster, url: 'https://x' }])).toThrow(
      "kubernetes.clusterLocatorMethods[1].clusters[1].name 'east' is used by another cluster",
    );
  });
});
