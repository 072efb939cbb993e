import type { VirtualMachine } from '@vmportal/plugin-kubevirt-common';

/** Cloud-init user data as the OpenShift/KubeVirt "fedora-server" templates write it. */
export const USER_DATA = `#cloud-config
user: fedora
password: f3d0ra-s3cret-pw
chpasswd: { expire: False }
ssh_authorized_keys:
  - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKfakefakefakefakefakefakefakefakefakefake ops@example.com
runcmd:
  - [ sh, -c, "echo db_password=Sup3rS3cret > /etc/app.env" ]
`;

export const NETWORK_DATA = `version: 2
ethernets:
  eth1:
    addresses: [ 10.20.30.40/24 ]
    gateway4: 10.20.30.1
`;

/** Config-drive user data, base64 as `kubectl create` users paste it; "é" makes bytes ≠ characters. */
export const CONFIG_DRIVE_USER_DATA =
  '#cloud-config\nchpasswd:\n  list: |\n    administrator:W1nd0ws-Adm1n-é\n';
export const CONFIG_DRIVE_NETWORK_DATA = '{"links":[],"networks":[]}';

export const IMPORT_TOKEN = 'Bearer glpat-1234567890abcdefghij';

const spec: VirtualMachine['spec'] = {
  runStrategy: 'Always',
  dataVolumeTemplates: [
    {
      metadata: { name: 'payments-db-root' },
      spec: {
        source: {
          http: {
            url: 'https://mirror:M1rr0r-pw@images.example.com/fedora-41.qcow2',
            extraHeaders: [`Authorization: ${IMPORT_TOKEN}`],
            secretExtraHeaders: ['mirror-headers'],
          } as { url: string },
        },
      },
    },
  ],
  template: {
    metadata: { labels: { 'kubevirt.io/domain': 'payments-db' } },
    spec: {
      domain: {
        cpu: { cores: 2 },
        memory: { guest: '4Gi' },
        devices: {
          disks: [
            { name: 'rootdisk' },
            { name: 'cloudinitdisk' },
            { name: 'configdrive' },
            { name: 'fromsecret' },
          ],
          interfaces: [{ name: 'default' }],
        },
      },
      networks: [{ name: 'default' }],
      volumes: [
        { name: 'rootdisk', dataVolume: { name: 'payments-db-root' } },
        {
          name: 'cloudinitdisk',
          cloudInitNoCloud: { userData: USER_DATA, networkData: NETWORK_DATA },
        },
        {
          name: 'configdrive',
          cloudInitConfigDrive: {
            userDataBase64: Buffer.from(CONFIG_DRIVE_USER_DATA).toString(
              'base64',
            ),
            networkDataBase64: Buffer.from(CONFIG_DRIVE_NETWORK_DATA).toString(
              'base64',
            ),
          },
        },
        {
          name: 'fromsecret',
          cloudInitNoCloud: {
            userDataSecretRef: { name: 'payments-db-cloud-init' },
            networkDataSecretRef: { name: 'payments-db-network' },
          },
        },
      ],
    },
  },
};

/**
 * A VirtualMachine as the apiserver returns one that was created with
 * `kubectl apply`: kubectl's last-applied-configuration annotation repeats the spec.
 */
export const vmWithCloudInit: VirtualMachine = {
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachine',
  metadata: {
    name: 'payments-db',
    namespace: 'team-payments',
    uid: '6f1c2a8e-1f0b-4a39-9c1e-0d6f4c8b2a11',
    resourceVersion: '48213',
    labels: { 'vmportal.io/owner': 'team-payments' },
    annotations: {
      'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachine',
        metadata: { name: 'payments-db', namespace: 'team-payments' },
        spec,
      }),
      'vmportal.io/description': 'Payments database',
    },
  },
  spec,
  status: { printableStatus: 'Running', ready: true },
};
