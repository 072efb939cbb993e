import { createHash } from 'node:crypto';

/** The namespace UUID KubeVirt derives stable firmware UUIDs from (`vm/firmware.go`). */
const FIRMWARE_UUID_NAMESPACE = '6a1a24a1-4061-4607-8bf4-a3963d0c5895';

/**
 * KubeVirt's `CalculateLegacyUUID(name)`: a name-based (version 5, SHA-1) UUID
 * of the VM's name, so a VM keeps its firmware UUID across restarts.
 */
export function legacyFirmwareUuid(name: string): string {
  const namespace = Buffer.from(
    FIRMWARE_UUID_NAMESPACE.replace(/-/g, ''),
    'hex',
  );
  const bytes = createHash('sha1')
    .update(namespace)
    .update(name, 'utf8')
    .digest()
    .subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(
    12,
    16,
  )}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
