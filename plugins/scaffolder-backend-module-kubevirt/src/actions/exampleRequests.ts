/** An OpenSSH public key made for the examples (`ssh-keygen -t ed25519`; private half discarded). */
export const EXAMPLE_SSH_KEY =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEbD1Cl+FejnOfTOogjPOPrDhG4DaPCUBgJp4mKIkxDn jane@example.com';

/** A small VM from a cluster instancetype, booting a container disk. */
export const smallWebServer = {
  cluster: 'demo-east',
  namespace: 'team-web',
  name: 'web-01',
  owner: 'group:default/team-web',
  description: 'Front end for the shop',
  size: {
    instancetype: { name: 'u1.small' },
    preference: { name: 'fedora' },
  },
  image: { containerDisk: { image: 'quay.io/containerdisks/fedora:41' } },
  sshPublicKey: EXAMPLE_SSH_KEY,
};

/** A custom size with a persistent OS disk imported from a registry and a data disk. */
export const databaseServer = {
  cluster: 'demo-east',
  namespace: 'team-web',
  name: 'orders-db',
  owner: 'group:default/team-web',
  description: 'PostgreSQL for the order service',
  size: { cpu: { cores: 2 }, memory: '4Gi' },
  image: {
    registry: { url: 'docker://quay.io/containerdisks/ubuntu:24.04' },
    size: '30Gi',
    storageClass: 'standard',
  },
  disks: [{ name: 'data', size: '50Gi', storageClass: 'standard' }],
  runStrategy: 'Always',
  labels: { app: 'orders' },
};
