import { ConfigReader } from '@backstage/config';
import {
  namespaceOwners,
  protectedNamespacePattern,
  readKubevirtRequestsConfig,
} from './KubevirtRequestsConfig';

describe('readKubevirtRequestsConfig', () => {
  it('reads the defaults', () => {
    expect(readKubevirtRequestsConfig(new ConfigReader({}))).toEqual({
      namespaceOwners: {},
      approvers: [],
      protectedNamespaces: [
        'kube-*',
        'default',
        'vmportal-system',
        'kubevirt',
        'cdi',
        'openshift-cnv',
      ],
      allowedImageHosts: [],
      policyMayWaiveMembership: false,
      osImageNamespaces: [
        'kubevirt-os-images',
        'openshift-virtualization-os-images',
      ],
      offeredSeries: ['u1', 'o1'],
    });
  });

  it('normalises what it reads', () => {
    const config = readKubevirtRequestsConfig(
      new ConfigReader({
        kubevirt: {
          requests: {
            namespaceOwners: { 'demo-east/team-web': 'team-web' },
            approvers: ['vm-approvers', 'user:default/jane'],
            protectedNamespaces: ['infra-*'],
            allowedImageHosts: ['Registry.Local', '::1'],
          },
        },
      }),
    );
    expect(config).toMatchObject({
      namespaceOwners: { 'demo-east/team-web': 'group:default/team-web' },
      approvers: ['group:default/vm-approvers', 'user:default/jane'],
      allowedImageHosts: ['registry.local', '[::1]'],
    });
    expect(config.protectedNamespaces).toContain('infra-*');
  });

  it.each([
    [
      { namespaceOwners: { 'team-web': 'team-web' } },
      /kubevirt\.requests\.namespaceOwners has the key 'team-web', which is not <cluster>\/<namespace>/,
    ],
    [
      { namespaceOwners: { 'demo-east/team-web': 'user:default/jane' } },
      /kubevirt\.requests\.namespaceOwners\.demo-east\/team-web is a user; give a group/,
    ],
    [
      { approvers: ['component:default/x'] },
      /kubevirt\.requests\.approvers\[0\] 'component:default\/x' is a component/,
    ],
    [
      { protectedNamespaces: ['Infra'] },
      /kubevirt\.requests\.protectedNamespaces\[0\] 'Infra' is not a namespace name or glob/,
    ],
    [
      { allowedImageHosts: ['https://registry.local/'] },
      /kubevirt\.requests\.allowedImageHosts\[0\] .* is not a host name or IP address/,
    ],
    [
      { osImageNamespaces: ['OS Images'] },
      /kubevirt\.requests\.osImageNamespaces\[0\] 'OS Images' is not a valid name; use lowercase letters, digits and '-', e\.g\. kubevirt-os-images/,
    ],
    [
      { policyMayWaiveMembership: true },
      /kubevirt\.requests\.policyMayWaiveMembership is true but permission\.enabled is not/,
    ],
  ])('fails at start-up on %j, naming the key', (requests, message) => {
    expect(() =>
      readKubevirtRequestsConfig(new ConfigReader({ kubevirt: { requests } })),
    ).toThrow(message);
  });
});

describe('who owns a namespace', () => {
  const config = readKubevirtRequestsConfig(
    new ConfigReader({
      kubevirt: {
        requests: {
          namespaceOwners: { 'demo-east/shared': 'group:default/Team-Web' },
          protectedNamespaces: ['infra-*'],
        },
      },
    }),
  );

  it('is its label and the config, each team once', () => {
    expect(
      namespaceOwners(config, 'demo-east', 'shared', {
        'vmportal.io/owner': 'team-web',
      }),
    ).toEqual(['group:default/team-web']);
    expect(
      namespaceOwners(config, 'demo-east', 'shared', {
        'vmportal.io/owner': 'team-pay',
      }),
    ).toEqual(['group:default/team-pay', 'group:default/Team-Web']);
    // The mapping is per cluster.
    expect(namespaceOwners(config, 'demo-west', 'shared', {})).toEqual([]);
  });

  it('is nobody in a protected namespace, defaults included', () => {
    expect(protectedNamespacePattern(config, 'infra-db')).toBe('infra-*');
    expect(protectedNamespacePattern(config, 'kube-system')).toBe('kube-*');
    expect(protectedNamespacePattern(config, 'team-web')).toBeUndefined();
  });
});
