import { hashClientSecret, verifyClientSecret } from '@stargate/contracts';
import { describe, expect, it } from 'vitest';
import { publishedHashes, secretHashFor } from './credentials.js';

/** The salt field of `scrypt$N$r$p$<salt>$<hash>`. */
const saltOf = (hash: string) => hash.split('$')[4];

describe('client secret hashes', () => {
  it('salts every new hash at random, not from the tenant or the secret', async () => {
    const a = await secretHashFor('same-secret');
    const b = await secretHashFor('same-secret');
    expect(verifyClientSecret('same-secret', a)).toBe(true);
    expect(verifyClientSecret('same-secret', b)).toBe(true);
    expect(saltOf(a)).not.toBe(saltOf(b));
    expect(Buffer.from(saltOf(a) ?? '', 'base64url')).toHaveLength(16);
  });

  it('keeps a published hash while the secret still verifies, so the config stays the same', async () => {
    const published = hashClientSecret('s3cret');
    expect(await secretHashFor('s3cret', [published])).toBe(published);
    // Also when it is the rotated-out one, listed second.
    expect(await secretHashFor('s3cret', [hashClientSecret('new'), published])).toBe(published);
    const changed = await secretHashFor('other', [published]);
    expect(changed).not.toBe(published);
    expect(verifyClientSecret('other', changed)).toBe(true);
  });

  it('does not keep a published hash with other scrypt parameters (tampered or outdated)', async () => {
    const published = hashClientSecret('s3cret');
    const weaker = published.replace(/^scrypt\$16384\$8\$1\$/, 'scrypt$1024$8$1$');
    const kept = await secretHashFor('s3cret', [weaker, 'not-a-hash']);
    expect(kept).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(verifyClientSecret('s3cret', kept)).toBe(true);
  });

  it('reads the current and rotated-out hashes a GatewayConfig publishes for a tenant', () => {
    const config = {
      tenants: [
        { id: 'acme', clientSecretHash: 'h1', previousClientSecretHashes: ['h0'] },
        { id: 'globex', clientSecretHash: 'g1' },
      ],
    };
    expect(publishedHashes(config, 'acme')).toEqual(['h1', 'h0']);
    expect(publishedHashes(config, 'globex')).toEqual(['g1']);
    expect(publishedHashes(config, 'initech')).toEqual([]);
    expect(publishedHashes(undefined, 'acme')).toEqual([]);
  });
});
