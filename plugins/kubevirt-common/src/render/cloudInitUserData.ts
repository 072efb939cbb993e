import { toYaml } from './serializeYaml';

/**
 * The cloud-init user data of a requested VM, built as data and serialised: password
 * log-in over SSH off, and the requester's public key for the image's default user.
 * No passwords are ever set.
 *
 * @public
 */
export function cloudInitUserData(options: { sshPublicKey?: string }): string {
  const config: Record<string, unknown> = { ssh_pwauth: false };
  if (options.sshPublicKey) config.ssh_authorized_keys = [options.sshPublicKey];
  return `#cloud-config\n${toYaml(config)}`;
}
