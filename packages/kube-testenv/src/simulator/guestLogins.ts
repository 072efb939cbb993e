import type { VirtualMachineInstanceObject } from '@vmportal/plugin-kubevirt-common';
import { parse } from 'yaml';

/** The user names and passwords a guest's console accepts, and what it calls itself. */
export interface GuestLogins {
  hostname: string;
  /** Plain-text passwords by user name; a user without one cannot log in. */
  passwords: Map<string, string>;
  /** The OS family, for the shell's prompt and `uname`. */
  osId?: string;
  kernelRelease?: string;
  kernelVersion?: string;
}

/** cloud-init's default user of the images KubeVirt users boot, by OS id. */
const DEFAULT_USERS: Record<string, string> = {
  fedora: 'fedora',
  centos: 'cloud-user',
  rhel: 'cloud-user',
  ubuntu: 'ubuntu',
  debian: 'debian',
  'opensuse-leap': 'opensuse',
};

interface CloudInitSource {
  userData?: string;
  userDataBase64?: string;
  secretRef?: { name: string };
}

type CloudConfig = Record<string, unknown>;

/**
 * The console logins a guest would accept, from its cloud-init user data
 * (`cloudInitNoCloud` / `cloudInitConfigDrive`: inline, base64 or from a
 * Secret's `userdata`/`userData` key) — nothing else: no image ships a password
 * the simulator would know. Understood: `password` (for the default user: the
 * `user` key's name, else the image's), `chpasswd.list` / `chpasswd.users`
 * (plain-text entries), and `users` entries with `plain_text_passwd` whose
 * password is not locked (`lock_passwd: false`; cloud-init locks by default).
 * Hashed passwords are not checked, so they log nobody in.
 */
export async function guestLogins(
  vmi: VirtualMachineInstanceObject,
  readSecret: (name: string) => Promise<Record<string, string> | undefined>,
): Promise<GuestLogins> {
  const os = vmi.status?.guestOSInfo;
  const logins: GuestLogins = {
    hostname: vmi.spec.hostname ?? vmi.metadata.name,
    passwords: new Map(),
    osId: os?.id || (isCirros(vmi) ? 'cirros' : undefined),
    kernelRelease: os?.kernelRelease,
    kernelVersion: os?.kernelVersion,
  };
  const userData = await userDataOf(vmi, readSecret);
  if (!userData || !userData.trimStart().startsWith('#cloud-config'))
    return logins;
  let config: CloudConfig;
  try {
    const parsed: unknown = parse(userData);
    if (!parsed || typeof parsed !== 'object') return logins;
    config = parsed as CloudConfig;
  } catch {
    // cloud-init ignores user data it cannot parse; so does the guest's login.
    return logins;
  }
  const defaultUser =
    nameOf(config.user) ??
    DEFAULT_USERS[logins.osId ?? ''] ??
    (logins.osId === 'cirros' ? 'cirros' : 'cloud-user');
  const set = (user: unknown, password: unknown) => {
    if (typeof user !== 'string' || typeof password !== 'string') return;
    // A crypt(3) hash, or chpasswd's RANDOM: not a password anyone typed.
    if (/^\$\d+\$|^\$y\$/.test(password) || password === 'RANDOM') return;
    logins.passwords.set(user, password);
  };
  if (typeof config.password === 'string')
    set(defaultUser, String(config.password));
  for (const entry of asArray(config.users)) {
    if (!entry || typeof entry !== 'object') continue;
    const user = entry as Record<string, unknown>;
    if (user.lock_passwd === false) set(user.name, user.plain_text_passwd);
  }
  const chpasswd = config.chpasswd as Record<string, unknown> | undefined;
  if (chpasswd && typeof chpasswd === 'object') {
    const list =
      typeof chpasswd.list === 'string'
        ? chpasswd.list.split('\n')
        : asArray(chpasswd.list);
    for (const line of list) {
      if (typeof line !== 'string') continue;
      const colon = line.indexOf(':');
      if (colon > 0)
        set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
    for (const entry of asArray(chpasswd.users)) {
      if (!entry || typeof entry !== 'object') continue;
      const user = entry as Record<string, unknown>;
      if ((user.type ?? 'text') === 'text') set(user.name, user.password);
    }
  }
  return logins;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function nameOf(user: unknown): string | undefined {
  if (typeof user === 'string') return user;
  if (user && typeof user === 'object') {
    const name = (user as { name?: unknown }).name;
    if (typeof name === 'string') return name;
  }
  return undefined;
}

function isCirros(vmi: VirtualMachineInstanceObject): boolean {
  return (vmi.spec.volumes ?? []).some(v =>
    /cirros/i.test(v.containerDisk?.image ?? ''),
  );
}

async function userDataOf(
  vmi: VirtualMachineInstanceObject,
  readSecret: (name: string) => Promise<Record<string, string> | undefined>,
): Promise<string | undefined> {
  for (const volume of vmi.spec.volumes ?? []) {
    const source = (volume.cloudInitNoCloud ?? volume.cloudInitConfigDrive) as
      | CloudInitSource
      | undefined;
    if (!source) continue;
    if (source.userData !== undefined) return source.userData;
    if (source.userDataBase64 !== undefined)
      return Buffer.from(source.userDataBase64, 'base64').toString('utf8');
    if (source.secretRef) {
      const data = await readSecret(source.secretRef.name);
      const encoded = data?.userdata ?? data?.userData;
      return encoded === undefined
        ? undefined
        : Buffer.from(encoded, 'base64').toString('utf8');
    }
  }
  return undefined;
}
