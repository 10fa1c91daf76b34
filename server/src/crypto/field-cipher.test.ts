import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createFieldCipher,
  type EncryptedValue,
  type EncryptionKey,
  type FieldBinding,
  parseEncryptionKeys,
  parseLegacyRead,
} from './field-cipher.js';

const key = (kid: string, legacyRead = false): EncryptionKey => ({
  kid,
  key: randomBytes(32),
  ...(legacyRead ? { legacyRead } : {}),
});
const order: FieldBinding = { tenantId: 'acme', processId: 'p-1', field: 'data' };
const secret = { customerId: 'secret-customer', items: [{ sku: 'S', quantity: 1 }] };

/** A blob as the first format wrote it: no version, no associated data. */
function firstFormat(k: EncryptionKey, value: unknown): EncryptedValue {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', k.key, iv);
  const ct = Buffer.concat([c.update(JSON.stringify(value), 'utf8'), c.final()]);
  return {
    alg: 'A256GCM',
    kid: k.kid,
    iv: iv.toString('base64'),
    tag: c.getAuthTag().toString('base64'),
    ct: ct.toString('base64'),
  };
}

describe('field cipher', () => {
  const k1 = key('k1');
  const cipher = createFieldCipher([k1]);

  it('round-trips a value and stores no plaintext', () => {
    const sealed = cipher.seal(secret, order);
    expect(sealed).toMatchObject({ alg: 'A256GCM', v: 2, kid: 'k1' });
    expect(JSON.stringify(sealed)).not.toContain('secret-customer');
    expect(cipher.open(sealed, order)).toEqual(secret);
  });

  it.each([
    ['another tenant', { ...order, tenantId: 'globex' }],
    ['another process', { ...order, processId: 'p-2' }],
    ['another field', { ...order, field: 'result' as const }],
    // The associated data is unambiguous: moving a separator between ids changes it.
    ['ids split differently', { ...order, tenantId: 'acme|p', processId: '-1' }],
  ])('refuses a blob swapped into %s, naming where it was read', (_what, elsewhere) => {
    const sealed = cipher.seal(secret, order);
    expect(() => cipher.open(sealed, elsewhere)).toThrow(
      new RegExp(
        `${elsewhere.field} of process ${elsewhere.processId}.*does not authenticate.*another process, tenant or field`,
      ),
    );
  });

  it('refuses a truncated or missing authentication tag', () => {
    const sealed = cipher.seal(secret, order) as EncryptedValue;
    const tag = Buffer.from(sealed.tag, 'base64');
    for (const bytes of [12, 8, 4, 0]) {
      const cut = { ...sealed, tag: tag.subarray(0, bytes).toString('base64') };
      expect(() => cipher.open(cut, order)).toThrow(new RegExp(`16-byte tag, got 12 and ${bytes}`));
    }
    const { tag: _dropped, ...untagged } = sealed;
    expect(() => cipher.open(untagged, order)).toThrow(/16-byte tag, got 12 and 0/);
  });

  it('refuses an altered ciphertext', () => {
    const sealed = cipher.seal(secret, order) as EncryptedValue;
    const ct = Buffer.from(sealed.ct, 'base64');
    ct[0] = (ct[0] ?? 0) ^ 1;
    expect(() => cipher.open({ ...sealed, ct: ct.toString('base64') }, order)).toThrow(
      /does not authenticate/,
    );
  });

  it('rotates: the first key encrypts, every listed key decrypts, an unlisted one is named', () => {
    const k2 = key('k2');
    const old = cipher.seal(secret, order);
    const rotated = createFieldCipher([k2, k1]);
    expect(rotated.open(old, order)).toEqual(secret);
    const fresh = rotated.seal(secret, order);
    expect(fresh).toMatchObject({ kid: 'k2' });
    expect(() => createFieldCipher([k1]).open(fresh, order)).toThrow(/key k2, which is not configured/);
  });

  it('reads first-format blobs (no associated data) only with legacy read switched on', () => {
    const legacy = firstFormat(k1, secret);
    expect(() => cipher.open(legacy, order)).toThrow(/STARGATE_ENCRYPTION_LEGACY_READ=true/);
    const migrating = createFieldCipher([{ ...k1, legacyRead: true }]);
    expect(migrating.open(legacy, order)).toEqual(secret);
    // New writes are bound even while migrating; bound blobs stay refused elsewhere.
    const sealed = migrating.seal(secret, order);
    expect(sealed).toMatchObject({ v: 2 });
    expect(() => migrating.open(sealed, { ...order, tenantId: 'globex' })).toThrow(/does not authenticate/);
    expect(() => cipher.open({ ...(sealed as EncryptedValue), v: 3 }, order)).toThrow(
      /unknown format version 3/,
    );
  });

  it('passes values through without keys, and leaves plaintext stored before encryption readable', () => {
    const none = createFieldCipher([]);
    expect(none.seal(secret, order)).toEqual(secret);
    expect(cipher.open(secret, order)).toEqual(secret);
  });

  it('parses the key settings with clear errors', () => {
    const b64 = randomBytes(32).toString('base64');
    expect(parseEncryptionKeys(`a:${b64}, b.2:${b64}`).map((k) => k.kid)).toEqual(['a', 'b.2']);
    expect(parseEncryptionKeys(`a:${b64}`, { legacyRead: true })[0]?.legacyRead).toBe(true);
    expect(() => parseEncryptionKeys(`a:${b64},a:${b64}`)).toThrow(/key id a is listed twice/);
    expect(() => parseEncryptionKeys(`a b:${b64}`)).toThrow(/key id "a b"/);
    expect(() => parseEncryptionKeys(b64)).toThrow(/kid:base64key/);
    expect(() => parseEncryptionKeys('a:c2hvcnQ=')).toThrow(/32 bytes/);
    expect(parseLegacyRead(undefined)).toBe(false);
    expect(parseLegacyRead('TRUE')).toBe(true);
    expect(() => parseLegacyRead('yes')).toThrow(/must be true or false/);
  });
});
