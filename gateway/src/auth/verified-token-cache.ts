import { createHash } from 'node:crypto';
import type { Principal } from './principal.js';

/** What a verified token of our own said; the principal is derived from it per request. */
export interface VerifiedClaims {
  tenantId: string;
  clientId: string;
  scope: unknown;
  jti?: string;
  /** The key that signed it: the entry is void once the key is no longer in the key set. */
  kid: string;
  /** The issuer it was verified for. */
  issuer: string;
  /** Epoch ms after which the token is no longer accepted (exp plus the allowed clock skew). */
  expiresAtMs: number;
  /** The principal last derived from it, and the config (object) it was derived under. */
  derived?: { config: object; principal: Principal };
}

/**
 * Tokens whose signature and claims were verified, so a client polling with one token pays
 * the ECDSA check once instead of on every request. Keyed by a SHA-256 of the token (the
 * token itself is not kept), bounded (least recently used goes first), and an entry is only
 * trusted until the token's `exp`. It holds no authorisation: tenant, suspension and scopes
 * are checked against the config in force on every request.
 */
export function createVerifiedTokenCache(opts: { maxEntries?: number; now: () => number }) {
  const max = opts.maxEntries ?? 10_000;
  // A Map iterates in insertion order: re-inserting on a hit makes the first key the least recent.
  const entries = new Map<string, VerifiedClaims>();
  const keyOf = (token: string) => createHash('sha256').update(token).digest('base64url');
  return {
    keyOf,
    get(key: string): VerifiedClaims | undefined {
      const hit = entries.get(key);
      if (!hit) return undefined;
      entries.delete(key);
      if (hit.expiresAtMs <= opts.now()) return undefined;
      entries.set(key, hit);
      return hit;
    },
    set(key: string, claims: VerifiedClaims): void {
      entries.delete(key);
      entries.set(key, claims);
      while (entries.size > max) {
        const oldest = entries.keys().next().value;
        if (oldest === undefined) break;
        entries.delete(oldest);
      }
    },
    delete(key: string): void {
      entries.delete(key);
    },
    get size() {
      return entries.size;
    },
  };
}

export type VerifiedTokenCache = ReturnType<typeof createVerifiedTokenCache>;
