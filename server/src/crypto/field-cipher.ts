import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM for `data` and `result` at rest. The key id is stored beside the ciphertext so
 * keys can rotate: the first key encrypts, every configured key decrypts.
 */
export interface EncryptedValue {
  alg: 'A256GCM';
  kid: string;
  iv: string;
  tag: string;
  ct: string;
}

export interface EncryptionKey {
  kid: string;
  key: Buffer;
}

export interface FieldCipher {
  seal(value: unknown): unknown;
  open(stored: unknown): unknown;
}

export class EncryptionKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncryptionKeyError';
  }
}

/** Parses `kid:base64key[,kid:base64key]` (STARGATE_ENCRYPTION_KEYS). */
export function parseEncryptionKeys(spec: string): EncryptionKey[] {
  const keys = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const at = entry.indexOf(':');
      const kid = entry.slice(0, at);
      if (at <= 0) throw new EncryptionKeyError('STARGATE_ENCRYPTION_KEYS: each entry must be kid:base64key');
      const key = Buffer.from(entry.slice(at + 1), 'base64');
      if (key.length !== 32)
        throw new EncryptionKeyError(
          `STARGATE_ENCRYPTION_KEYS: key ${kid} must be 32 bytes (base64), got ${key.length}`,
        );
      return { kid, key };
    });
  return keys;
}

function isEncrypted(value: unknown): value is EncryptedValue {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { alg?: unknown }).alg === 'A256GCM' &&
    typeof (value as { ct?: unknown }).ct === 'string'
  );
}

/** Without keys, values pass through unchanged (and stored ciphertext cannot be read). */
export function createFieldCipher(keys: readonly EncryptionKey[]): FieldCipher {
  const [current] = keys;
  const byKid = new Map(keys.map((k) => [k.kid, k.key]));
  return {
    seal(value) {
      if (!current || value === undefined) return value;
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv);
      const ct = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
      return {
        alg: 'A256GCM',
        kid: current.kid,
        iv: iv.toString('base64'),
        tag: cipher.getAuthTag().toString('base64'),
        ct: ct.toString('base64'),
      } satisfies EncryptedValue;
    },
    open(stored) {
      if (!isEncrypted(stored)) return stored;
      const key = byKid.get(stored.kid);
      if (!key) throw new EncryptionKeyError(`no encryption key with id ${stored.kid} is configured`);
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(stored.iv, 'base64'));
      decipher.setAuthTag(Buffer.from(stored.tag, 'base64'));
      const pt = Buffer.concat([decipher.update(Buffer.from(stored.ct, 'base64')), decipher.final()]);
      return JSON.parse(pt.toString('utf8'));
    },
  };
}
