import { describeCharacter } from '../kube/kubernetesNames';

/**
 * What an OpenSSH public key line holds.
 *
 * @public
 */
export interface SshPublicKeyInfo {
  /** Key type, e.g. `ssh-ed25519`. */
  type: string;
  /** RSA modulus size in bits, for `ssh-rsa` keys. */
  bits?: number;
  comment?: string;
}

const ECDSA_CURVES: Record<string, { curve: string; pointLength: number }> = {
  'ecdsa-sha2-nistp256': { curve: 'nistp256', pointLength: 65 },
  'ecdsa-sha2-nistp384': { curve: 'nistp384', pointLength: 97 },
  'ecdsa-sha2-nistp521': { curve: 'nistp521', pointLength: 133 },
  'sk-ecdsa-sha2-nistp256@openssh.com': { curve: 'nistp256', pointLength: 65 },
};
const KEY_TYPES = new Set([
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
]);
const FIX =
  'paste the one line of your .pub file (for example ~/.ssh/id_ed25519.pub)';
const MAX_LINE = 16384;
const MIN_RSA_BITS = 2048;

const BASE64 =
  'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Strict, canonical base64 (RFC 4648, padded) to bytes, or undefined. */
function decodeBase64(text: string): Uint8Array | undefined {
  if (text.length === 0 || text.length % 4 !== 0) return undefined;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  const bytes: number[] = [];
  let buffer = 0;
  let bitCount = 0;
  for (const char of text.replace(/=+$/, '')) {
    buffer = (buffer << 6) | BASE64.indexOf(char);
    bitCount += 6;
    if (bitCount >= 8) {
      bitCount -= 8;
      bytes.push((buffer >> bitCount) & 0xff);
      buffer &= (1 << bitCount) - 1;
    }
  }
  // The bits left over by the padding must be zero in canonical base64.
  return buffer === 0 ? Uint8Array.from(bytes) : undefined;
}

/** Reads SSH wire-format strings (uint32 length + bytes). */
class WireReader {
  private offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  string(): Uint8Array | undefined {
    if (this.offset + 4 > this.bytes.length) return undefined;
    const b = this.bytes;
    const o = this.offset;
    const length =
      ((b[o] << 24) >>> 0) + (b[o + 1] << 16) + (b[o + 2] << 8) + b[o + 3];
    if (this.offset + 4 + length > this.bytes.length) return undefined;
    const value = this.bytes.subarray(
      this.offset + 4,
      this.offset + 4 + length,
    );
    this.offset += 4 + length;
    return value;
  }

  text(): string | undefined {
    const value = this.string();
    if (!value) return undefined;
    let result = '';
    for (const byte of value) {
      if (byte < 0x20 || byte > 0x7e) return undefined;
      result += String.fromCharCode(byte);
    }
    return result;
  }

  atEnd(): boolean {
    return this.offset === this.bytes.length;
  }
}

function mpintBits(value: Uint8Array): number | undefined {
  if (value.length === 0 || value[0] & 0x80) return undefined; // zero or negative
  let i = 0;
  while (i < value.length && value[i] === 0) i++;
  if (i === value.length) return undefined;
  if (i > 1 || (i === 1 && !(value[1] & 0x80))) return undefined; // not minimal
  return (value.length - i) * 8 - Math.clz32(value[i]) + 24;
}

function hasUnsafeCharacter(text: string): string | undefined {
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (
      code < 0x20 ||
      (code >= 0x7f && code <= 0x9f) ||
      (code >= 0x200b && code <= 0x200f) ||
      (code >= 0x2028 && code <= 0x202e) ||
      (code >= 0x2060 && code <= 0x2069) ||
      code === 0xfeff
    ) {
      return char;
    }
  }
  return undefined;
}

/**
 * Reads one OpenSSH public key line (`<type> <base64 key> [comment]`), checking that
 * the type is one OpenSSH accepts today (ed25519, RSA of 2048 bits or more, ECDSA
 * P-256/384/521 and the security-key variants), that the base64 body is well formed
 * and says the same type, and that the comment has no control characters. Returns
 * what is wrong in words, or the key's details.
 *
 * @public
 */
export function parseSshPublicKey(
  line: string,
): SshPublicKeyInfo | { problem: string } {
  const problem = (text: string) => ({ problem: text });
  if (line.length === 0) return problem(`is empty; ${FIX}`);
  if (line.length > MAX_LINE) {
    return problem(
      `is ${line.length} characters long, more than any public key; ${FIX}`,
    );
  }
  if (/[\r\n]/.test(line)) {
    return problem(`has more than one line; give one key only (${FIX})`);
  }
  const unsafe = hasUnsafeCharacter(line);
  if (unsafe) return problem(`contains ${describeCharacter(unsafe)}; ${FIX}`);
  if (line !== line.trim())
    return problem(`starts or ends with spaces; ${FIX}`);

  const [type, body, ...rest] = line.split(/[ \t]+/);
  const commentStart =
    body === undefined ? -1 : line.indexOf(body, type.length) + body.length;
  const comment = rest.length > 0 ? line.slice(commentStart).trim() : undefined;
  if (!KEY_TYPES.has(type)) {
    if (type === 'ssh-dss') {
      return problem(
        'is a DSA key, which OpenSSH no longer accepts; create an ed25519 key with ssh-keygen -t ed25519',
      );
    }
    if (type.includes('-cert-v01@openssh.com')) {
      return problem(`is an SSH certificate, not a public key; ${FIX}`);
    }
    if (
      /[=,"]/.test(type) ||
      /^(no-|restrict|command|from|environment|permitopen)/.test(type)
    ) {
      return problem(
        `starts with authorized_keys options ('${type.slice(
          0,
          30,
        )}'); give only the key type, the key and a comment`,
      );
    }
    if (line.startsWith('-----BEGIN')) {
      return problem(
        `is a PEM file, possibly a private key; never share a private key. ${FIX}`,
      );
    }
    const bad = [...type].find(c => c.codePointAt(0)! > 0x7e);
    return problem(
      `starts with '${type.slice(0, 40)}'${
        bad ? `, which contains ${describeCharacter(bad)}` : ''
      }, not a key type; a public key starts with ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256/384/521 or sk-ssh-ed25519@openssh.com`,
    );
  }
  if (!body) return problem(`has the key type but no key after it; ${FIX}`);
  const bytes = decodeBase64(body);
  if (!bytes) {
    return problem(
      `has a key that is not valid base64 (it may be cut off); ${FIX}`,
    );
  }
  const reader = new WireReader(bytes);
  const embedded = reader.text();
  if (embedded !== type) {
    return problem(
      `says it is ${type} but its key is ${
        embedded ? `a ${embedded.slice(0, 40)} key` : 'not an SSH public key'
      }; ${FIX}`,
    );
  }
  const malformed = problem(
    `has a ${type} key whose data is damaged or cut off; ${FIX}`,
  );
  let bits: number | undefined;
  if (type === 'ssh-ed25519' || type === 'sk-ssh-ed25519@openssh.com') {
    if (reader.string()?.length !== 32) return malformed;
  } else if (type === 'ssh-rsa') {
    const exponentBits = mpintBits(reader.string() ?? new Uint8Array());
    const modulus = reader.string();
    bits = modulus ? mpintBits(modulus) : undefined;
    if (!exponentBits || !bits) return malformed;
    if (bits < MIN_RSA_BITS) {
      return problem(
        `is a ${bits}-bit RSA key; use at least ${MIN_RSA_BITS} bits, or better an ed25519 key (ssh-keygen -t ed25519)`,
      );
    }
  } else {
    const { curve, pointLength } = ECDSA_CURVES[type];
    if (reader.text() !== curve) return malformed;
    const point = reader.string();
    if (!point || point.length !== pointLength || point[0] !== 0x04)
      return malformed;
  }
  if (type.startsWith('sk-') && reader.text() === undefined) return malformed;
  if (!reader.atEnd()) return malformed;

  if (comment !== undefined && comment.length > 1024) {
    return problem(
      `has a comment of ${comment.length} characters; keep it under 1024`,
    );
  }
  return {
    type,
    ...(bits !== undefined && { bits }),
    ...(comment && { comment }),
  };
}
