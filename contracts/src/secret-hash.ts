/**
 * Client secrets are stored only as scrypt hashes: the operator hashes the generated
 * secret, gateways verify. Format: `scrypt$<N>$<r>$<p>$<salt b64url>$<hash b64url>`.
 */
import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';

const N = 16384;
const R = 8;
const P = 1;
const KEYLEN = 32;

export function hashClientSecret(secret: string, salt: Buffer = randomBytes(16)): string {
  const hash = scryptSync(secret, salt, KEYLEN, { N, r: R, p: P });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

interface ScryptHash {
  salt: Buffer;
  expected: Buffer;
  options: { N: number; r: number; p: number; maxmem: number };
}

function parseHash(encoded: string): ScryptHash | undefined {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [n, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (![n, r, p].every((x) => Number.isInteger(x) && x > 0) || n > 1 << 20) return undefined;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (expected.length < 16) return undefined;
  return { salt, expected, options: { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 } };
}

export function verifyClientSecret(secret: string, encoded: string): boolean {
  const h = parseHash(encoded);
  if (!h) return false;
  return timingSafeEqual(scryptSync(secret, h.salt, h.expected.length, h.options), h.expected);
}

/** As verifyClientSecret, on libuv's thread pool: a server's event loop is not held for the ~50 ms. */
export function verifyClientSecretAsync(secret: string, encoded: string): Promise<boolean> {
  const h = parseHash(encoded);
  if (!h) return Promise.resolve(false);
  return new Promise((resolve, reject) =>
    scrypt(secret, h.salt, h.expected.length, h.options, (err, actual) =>
      err ? reject(err) : resolve(timingSafeEqual(actual, h.expected)),
    ),
  );
}

/**
 * True when `encoded` uses exactly the parameters hashClientSecret writes today: a hash worth
 * keeping, and one whose verification costs what ours cost (not what a tampered N or r asks).
 */
export function hasCurrentHashParameters(encoded: string): boolean {
  return encoded.startsWith(`scrypt$${N}$${R}$${P}$`) && parseHash(encoded) !== undefined;
}

/** A new client secret: 32 random bytes, base64url. */
export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url');
}
