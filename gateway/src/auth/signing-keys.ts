import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type CryptoKey,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importPKCS8,
  type JSONWebKeySet,
  type JWK,
} from 'jose';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/** The key set: the newest key (by kid, in name order) signs, every key verifies. */
export interface SigningKeys {
  signer: SigningKey;
  jwks: JSONWebKeySet;
  keySet: ReturnType<typeof createLocalJWKSet>;
}

export function buildSigningKeys(keys: SigningKey[]): SigningKeys {
  if (keys.length === 0) throw new Error('no signing keys');
  const sorted = [...keys].sort((a, b) => a.kid.localeCompare(b.kid));
  const jwks: JSONWebKeySet = { keys: sorted.map((k) => k.publicJwk) };
  return { signer: sorted[sorted.length - 1]!, jwks, keySet: createLocalJWKSet(jwks) };
}

async function toSigningKey(kid: string, privateKey: CryptoKey): Promise<SigningKey> {
  const jwk = await exportJWK(privateKey);
  // Only the public half is published.
  const { d: _d, ...pub } = jwk;
  return { kid, privateKey, publicJwk: { ...pub, kid, alg: 'ES256', use: 'sig' } };
}

export async function importSigningKey(kid: string, pkcs8Pem: string): Promise<SigningKey> {
  const privateKey = await importPKCS8(pkcs8Pem, 'ES256', { extractable: true });
  return toSigningKey(kid, privateKey);
}

export async function generateSigningKey(kid: string): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return toSigningKey(kid, privateKey);
}

/** Reads `<kid>.pem` files (PKCS#8, ES256) from a directory. */
export async function loadSigningKeysDir(dir: string): Promise<SigningKeys> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.pem') && !n.startsWith('.'));
  } catch (err) {
    throw new Error(`STARGATE_SIGNING_KEYS_DIR: cannot read ${dir}: ${(err as Error).message}`);
  }
  if (names.length === 0) throw new Error(`STARGATE_SIGNING_KEYS_DIR: no <kid>.pem files in ${dir}`);
  const keys: SigningKey[] = [];
  for (const name of names) {
    const kid = name.slice(0, -'.pem'.length);
    try {
      keys.push(await importSigningKey(kid, await readFile(join(dir, name), 'utf8')));
    } catch (err) {
      throw new Error(
        `STARGATE_SIGNING_KEYS_DIR: ${name} is not a PKCS#8 ES256 private key: ${(err as Error).message}`,
      );
    }
  }
  return buildSigningKeys(keys);
}
