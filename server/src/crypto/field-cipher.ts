import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM for `data` and `result` at rest. The key id is stored beside the ciphertext so
 * keys can rotate: the first key encrypts, every configured key decrypts. Each blob is bound
 * (GCM associated data) to the tenant, the process and the field it was written for: a blob
 * copied into another process, tenant or field does not authenticate.
 */
export interface EncryptedValue {
  alg: 'A256GCM';
  /** 2: bound to tenant|process|field. Absent: written before binding existed (see legacyRead). */
  v?: 2;
  kid: string;
  iv: string;
  tag: string;
  ct: string;
}

export interface EncryptionKey {
  kid: string;
  key: Buffer;
  /**
   * Also open blobs of the first format (no `v`, no associated data) under this key: only while
   * migrating (STARGATE_ENCRYPTION_LEGACY_READ=true), since such blobs can be swapped.
   */
  legacyRead?: boolean;
}

/** What a blob belongs to; part of its associated data. */
export interface FieldBinding {
  tenantId: string;
  processId: string;
  field: 'data' | 'result';
}

export interface FieldCipher {
  seal(value: unknown, binding: FieldBinding): unknown;
  open(stored: unknown, binding: FieldBinding): unknown;
}

export class EncryptionKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncryptionKeyError';
  }
}

/** A stored blob that cannot be opened: altered, truncated, or written for another process, tenant or field. */
export class EncryptedFieldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncryptedFieldError';
  }
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Parses `kid:base64key[,kid:base64key]` (STARGATE_ENCRYPTION_KEYS); `legacyRead` from
 * STARGATE_ENCRYPTION_LEGACY_READ.
 */
export function parseEncryptionKeys(spec: string, options: { legacyRead?: boolean } = {}): EncryptionKey[] {
  const keys = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const at = entry.indexOf(':');
      const kid = entry.slice(0, at);
      if (at <= 0) throw new EncryptionKeyError('STARGATE_ENCRYPTION_KEYS: each entry must be kid:base64key');
      if (!KID.test(kid))
        throw new EncryptionKeyError(
          `STARGATE_ENCRYPTION_KEYS: key id "${kid}" must be 1-64 letters, digits, '.', '_' or '-'`,
        );
      const key = Buffer.from(entry.slice(at + 1), 'base64');
      if (key.length !== 32)
        throw new EncryptionKeyError(
          `STARGATE_ENCRYPTION_KEYS: key ${kid} must be 32 bytes (base64), got ${key.length}`,
        );
      return { kid, key, ...(options.legacyRead ? { legacyRead: true } : {}) };
    });
  const seen = new Set<string>();
  for (const { kid } of keys) {
    if (seen.has(kid))
      throw new EncryptionKeyError(`STARGATE_ENCRYPTION_KEYS: key id ${kid} is listed twice`);
    seen.add(kid);
  }
  return keys;
}

/** Reads STARGATE_ENCRYPTION_LEGACY_READ: only `true` or `false` (or unset). */
export function parseLegacyRead(raw: string | undefined): boolean {
  const v = raw?.trim().toLowerCase();
  if (!v || v === 'false') return false;
  if (v === 'true') return true;
  throw new EncryptionKeyError(`STARGATE_ENCRYPTION_LEGACY_READ="${raw}" must be true or false`);
}

function isEncrypted(value: unknown): value is EncryptedValue {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { alg?: unknown }).alg === 'A256GCM' &&
    typeof (value as { ct?: unknown }).ct === 'string'
  );
}

/** The associated data: unambiguous whatever the ids contain. */
function aad(b: FieldBinding): Buffer {
  return Buffer.from(JSON.stringify(['stargate.field.v2', b.tenantId, b.processId, b.field]), 'utf8');
}

const where = (b: FieldBinding) => `${b.field} of process ${b.processId} (tenant ${b.tenantId})`;

/** Without keys, values pass through unchanged (and stored ciphertext cannot be read). */
export function createFieldCipher(keys: readonly EncryptionKey[]): FieldCipher {
  const [current] = keys;
  const byKid = new Map(keys.map((k) => [k.kid, k]));
  return {
    seal(value, binding) {
      if (!current || value === undefined) return value;
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(aad(binding));
      const ct = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
      return {
        alg: 'A256GCM',
        v: 2,
        kid: current.kid,
        iv: iv.toString('base64'),
        tag: cipher.getAuthTag().toString('base64'),
        ct: ct.toString('base64'),
      } satisfies EncryptedValue;
    },
    open(stored, binding) {
      if (!isEncrypted(stored)) return stored;
      const key = byKid.get(stored.kid);
      if (!key)
        throw new EncryptionKeyError(
          `the ${where(binding)} is encrypted with key ${stored.kid}, which is not configured (STARGATE_ENCRYPTION_KEYS)`,
        );
      const bound = stored.v === 2;
      if (!bound && stored.v !== undefined)
        throw new EncryptedFieldError(
          `the ${where(binding)} has an unknown format version ${String(stored.v)}`,
        );
      if (!bound && !key.legacyRead)
        throw new EncryptedFieldError(
          `the ${where(binding)} was written in the first format, without associated data; set STARGATE_ENCRYPTION_LEGACY_READ=true while migrating to read it (docs/security.md)`,
        );
      const iv = typeof stored.iv === 'string' ? Buffer.from(stored.iv, 'base64') : Buffer.alloc(0);
      const tag = typeof stored.tag === 'string' ? Buffer.from(stored.tag, 'base64') : Buffer.alloc(0);
      if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES)
        throw new EncryptedFieldError(
          `the ${where(binding)} is malformed: needs a ${IV_BYTES}-byte iv and a ${TAG_BYTES}-byte tag, got ${iv.length} and ${tag.length}`,
        );
      const decipher = createDecipheriv('aes-256-gcm', key.key, iv, { authTagLength: TAG_BYTES });
      if (bound) decipher.setAAD(aad(binding));
      decipher.setAuthTag(tag);
      let pt: Buffer;
      try {
        pt = Buffer.concat([decipher.update(Buffer.from(stored.ct, 'base64')), decipher.final()]);
      } catch {
        throw new EncryptedFieldError(
          `the ${where(binding)} does not authenticate under key ${stored.kid}: it was altered, or written for another process, tenant or field`,
        );
      }
      return JSON.parse(pt.toString('utf8'));
    },
  };
}
