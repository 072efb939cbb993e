import type { VirtualMachineInstanceObject } from '@vmportal/plugin-kubevirt-common';
import { guestLogins } from './guestLogins';

function vmi(
  cloudInit: object | undefined,
  os?: { id: string },
): VirtualMachineInstanceObject {
  return {
    metadata: { name: 'db-1', namespace: 'team' },
    spec: {
      domain: { devices: {} },
      volumes: [
        {
          name: 'root',
          containerDisk: { image: 'quay.io/containerdisks/fedora:41' },
        },
        ...(cloudInit
          ? [{ name: 'cloudinit', cloudInitNoCloud: cloudInit }]
          : []),
      ],
    },
    status: os ? { guestOSInfo: os } : {},
  } as VirtualMachineInstanceObject;
}

const noSecrets = async () => undefined;

describe('guestLogins', () => {
  it("gives cloud-init's password to the image's default user, and chpasswd's to theirs", async () => {
    const logins = await guestLogins(
      vmi(
        {
          userData: [
            '#cloud-config',
            'password: first',
            'chpasswd:',
            '  expire: false',
            '  list: |',
            '    root:second',
            '    admin:$6$rounds=4096$hashed',
            '  users:',
            '    - { name: ops, password: third, type: text }',
            '    - { name: gone, type: RANDOM }',
            'users:',
            '  - default',
            '  - { name: locked, plain_text_passwd: fourth }',
            '  - { name: open, plain_text_passwd: fifth, lock_passwd: false }',
          ].join('\n'),
        },
        { id: 'fedora' },
      ),
      noSecrets,
    );
    expect(logins.hostname).toBe('db-1');
    expect(Object.fromEntries(logins.passwords)).toEqual({
      fedora: 'first',
      root: 'second',
      ops: 'third',
      open: 'fifth',
    });
  });

  it('reads user data from base64 and from a Secret, and the `user` key renames the default user', async () => {
    const userData = '#cloud-config\nuser: alice\npassword: pw\n';
    const inline = await guestLogins(
      vmi({ userDataBase64: Buffer.from(userData).toString('base64') }),
      noSecrets,
    );
    expect(Object.fromEntries(inline.passwords)).toEqual({ alice: 'pw' });
    const fromSecret = await guestLogins(
      vmi({ secretRef: { name: 'init' } }),
      async name =>
        name === 'init'
          ? { userdata: Buffer.from(userData).toString('base64') }
          : undefined,
    );
    expect(Object.fromEntries(fromSecret.passwords)).toEqual({ alice: 'pw' });
  });

  it('knows no password without cloud-config user data', async () => {
    expect((await guestLogins(vmi(undefined), noSecrets)).passwords.size).toBe(
      0,
    );
    expect(
      (await guestLogins(vmi({ userData: '#!/bin/sh\necho hi' }), noSecrets))
        .passwords.size,
    ).toBe(0);
  });
});
