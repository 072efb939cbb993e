import {
  CONFIG_DRIVE_NETWORK_DATA,
  CONFIG_DRIVE_USER_DATA,
  IMPORT_TOKEN,
  NETWORK_DATA,
  USER_DATA,
  vmWithCloudInit,
} from './__fixtures__/vmWithCloudInit';
import { redactVirtualMachine } from './redactVirtualMachine';
import { manifestYaml } from './virtualMachineView';

const SECRETS = [
  'f3d0ra-s3cret-pw',
  'Sup3rS3cret',
  'ssh-ed25519',
  '10.20.30.40',
  'glpat-1234567890abcdefghij',
  'M1rr0r-pw',
  // The base64 forms, as they appear in the object.
  Buffer.from(CONFIG_DRIVE_USER_DATA).toString('base64'),
];

describe('redactVirtualMachine', () => {
  const original = JSON.stringify(vmWithCloudInit);
  const redacted = redactVirtualMachine(vmWithCloudInit);
  const volumes = redacted.spec.template?.spec?.volumes ?? [];

  it('keeps no secret anywhere in the VM or its YAML', () => {
    // The fixture really holds them.
    for (const secret of SECRETS) expect(original).toContain(secret);
    const json = JSON.stringify(redacted);
    const yaml = manifestYaml(redacted);
    for (const secret of SECRETS) {
      expect(json).not.toContain(secret);
      expect(yaml).not.toContain(secret);
    }
  });

  it('shows inline cloud-init as its size in bytes', () => {
    expect(volumes.find(v => v.name === 'cloudinitdisk')).toEqual({
      name: 'cloudinitdisk',
      cloudInitNoCloud: {
        userData: `redacted, ${Buffer.byteLength(USER_DATA)} bytes`,
        networkData: `redacted, ${Buffer.byteLength(NETWORK_DATA)} bytes`,
      },
    });
    // é is two bytes: the size is the decoded data's, not the base64 text's.
    const userDataBytes = Buffer.byteLength(CONFIG_DRIVE_USER_DATA);
    expect(userDataBytes).toBe(CONFIG_DRIVE_USER_DATA.length + 1);
    expect(volumes.find(v => v.name === 'configdrive')).toEqual({
      name: 'configdrive',
      cloudInitConfigDrive: {
        userDataBase64: `redacted, ${userDataBytes} bytes`,
        networkDataBase64: `redacted, ${CONFIG_DRIVE_NETWORK_DATA.length} bytes`,
      },
    });
  });

  it('keeps the names of Secrets, which are not secret', () => {
    expect(volumes.find(v => v.name === 'fromsecret')).toEqual({
      name: 'fromsecret',
      cloudInitNoCloud: {
        userDataSecretRef: { name: 'payments-db-cloud-init' },
        networkDataSecretRef: { name: 'payments-db-network' },
      },
    });
    expect(redacted.spec.dataVolumeTemplates?.[0].spec?.source?.http).toEqual({
      url: 'https://mirror:redacted@images.example.com/fedora-41.qcow2',
      extraHeaders: [
        `Authorization: redacted, ${Buffer.byteLength(IMPORT_TOKEN)} bytes`,
      ],
      secretExtraHeaders: ['mirror-headers'],
    });
  });

  it("drops kubectl's last-applied-configuration and keeps other annotations", () => {
    expect(redacted.metadata.annotations).toEqual({
      'vmportal.io/description': 'Payments database',
    });
  });

  it('leaves the VM it was given unchanged and everything else as it was', () => {
    expect(JSON.stringify(vmWithCloudInit)).toBe(original);
    expect(redacted.metadata.uid).toBe(vmWithCloudInit.metadata.uid);
    expect(redacted.spec.template?.spec?.domain).toEqual(
      vmWithCloudInit.spec.template?.spec?.domain,
    );
    expect(volumes[0]).toEqual({
      name: 'rootdisk',
      dataVolume: { name: 'payments-db-root' },
    });
  });
});
