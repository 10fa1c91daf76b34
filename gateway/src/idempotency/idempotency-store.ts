import { createHash } from 'node:crypto';
import type { RedisKeys } from '@stargate/contracts';
import type { Redis } from 'ioredis';

/** Key order does not change a payload's meaning, so it must not change its hash. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function payloadHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/**
 * A claim outlives no request: if a gateway dies mid-request the key frees itself instead of
 * answering 409 for a whole day. (A submit takes at most the broker confirm timeout.)
 */
const IN_FLIGHT_TTL_SECONDS = 60;

export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

type Record_ =
  | { state: 'in-flight'; hash: string; processId?: string }
  | { state: 'done'; hash: string; response: StoredResponse }
  /** A submit that was not confirmed: its process id, for the resend (the broker may hold it). */
  | { state: 'open'; hash: string; processId: string };

export type Begin =
  /** `processId`: the id an unconfirmed earlier attempt used; the resend must use it again. */
  | { kind: 'new'; processId?: string }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'mismatch' }
  | { kind: 'in-flight' };

/**
 * draft-ietf-httpapi-idempotency-key-header: the first request with a key claims it (SET NX);
 * a repeat with the same payload gets the stored answer, with another payload a 422, and
 * while the first is still running a 409. A failed attempt leaves the key open with its process
 * id, so the retry runs again under the same id (a publish whose confirm was lost may still be
 * in the broker, and must not become a second process).
 */
export function createIdempotencyStore(deps: { redis: Redis; keys: RedisKeys; ttlSeconds: number }) {
  const key = (tenantId: string, idemKey: string) => deps.keys.idempotency(tenantId, idemKey);
  /** The record `complete` stores, for writing it along with other keys in one round trip. */
  const completion = (tenantId: string, idemKey: string, hash: string, response: StoredResponse) => ({
    key: key(tenantId, idemKey),
    value: JSON.stringify({ state: 'done', hash, response } satisfies Record_),
    ttlSeconds: deps.ttlSeconds,
  });
  return {
    async begin(tenantId: string, idemKey: string, hash: string): Promise<Begin> {
      const k = key(tenantId, idemKey);
      const claimed = await deps.redis.set(
        k,
        JSON.stringify({ state: 'in-flight', hash } satisfies Record_),
        'EX',
        IN_FLIGHT_TTL_SECONDS,
        'NX',
      );
      if (claimed === 'OK') return { kind: 'new' };
      const raw = await deps.redis.get(k);
      // Expired between the two calls: treat as in flight; the client's retry will claim it.
      if (!raw) return { kind: 'in-flight' };
      const rec = JSON.parse(raw) as Record_;
      if (rec.hash !== hash) return { kind: 'mismatch' };
      if (rec.state === 'in-flight') return { kind: 'in-flight' };
      if (rec.state === 'open') {
        // Two resends racing here both publish the same id; the server records it once.
        await deps.redis.set(
          k,
          JSON.stringify({ state: 'in-flight', hash, processId: rec.processId } satisfies Record_),
          'EX',
          IN_FLIGHT_TTL_SECONDS,
        );
        return { kind: 'new', processId: rec.processId };
      }
      return { kind: 'replay', response: rec.response };
    },
    async complete(tenantId: string, idemKey: string, hash: string, response: StoredResponse): Promise<void> {
      const done = completion(tenantId, idemKey, hash, response);
      await deps.redis.set(done.key, done.value, 'EX', done.ttlSeconds);
    },
    completion,
    async release(tenantId: string, idemKey: string): Promise<void> {
      await deps.redis.del(key(tenantId, idemKey));
    },
    /** After a failed publish: the key stays bound to `processId` for the client's resend. */
    async reopen(tenantId: string, idemKey: string, hash: string, processId: string): Promise<void> {
      await deps.redis.set(
        key(tenantId, idemKey),
        JSON.stringify({ state: 'open', hash, processId } satisfies Record_),
        'EX',
        deps.ttlSeconds,
      );
    },
  };
}

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>;
