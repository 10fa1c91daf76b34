import type { ProcessStateData, RedisKeys } from '@stargate/contracts';
import type { Redis } from 'ioredis';
import { luaScript } from './lua-script.js';

/**
 * Writes a state only if its version is newer than the stored one, then wakes long-polls.
 * Atomic in Redis, so two projectors (or a projector and the 202 path) cannot regress a state.
 * KEYS[1] state hash, ARGV: version, json, ttl ms, wake-up channel. With KEYS[2] (same hash
 * tag), ARGV[5] is also stored there for ARGV[6] seconds in the same round trip, whatever the
 * version check says (the submit path's idempotency record).
 */
const WRITE_IF_NEWER = luaScript(`
if KEYS[2] then redis.call('SET', KEYS[2], ARGV[5], 'EX', ARGV[6]) end
local cur = redis.call('HGET', KEYS[1], 'v')
if cur and tonumber(cur) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'd', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[1])
return 1
`);

/** A plain key to set along with a state write (one round trip). */
export interface AlsoSet {
  key: string;
  value: string;
  ttlSeconds: number;
}

export interface StateStore {
  /** true when written, false when the stored version is the same or newer. */
  writeIfNewer(state: ProcessStateData, also?: AlsoSet): Promise<boolean>;
  get(tenantId: string, processId: string): Promise<ProcessStateData | undefined>;
  /** The Redis key of a process's state. */
  keyOf(tenantId: string, processId: string): string;
  /** A stored state as `get` returns it, from JSON read elsewhere (e.g. with the rate limit). */
  parse(tenantId: string, raw: string | null): ProcessStateData | undefined;
}

export function createStateStore(deps: { redis: Redis; keys: RedisKeys; ttlSeconds: number }): StateStore {
  function parse(tenantId: string, raw: string | null): ProcessStateData | undefined {
    if (!raw) return undefined;
    const state = JSON.parse(raw) as ProcessStateData;
    // Keys are per tenant already; this guards against a mis-keyed write ever leaking.
    return state.tenantId === tenantId ? state : undefined;
  }
  return {
    async writeIfNewer(state, also) {
      const keys = [deps.keys.process(state.tenantId, state.processId)];
      const args: (string | number)[] = [
        state.version,
        JSON.stringify(state),
        deps.ttlSeconds * 1000,
        deps.keys.processChannel(state.tenantId, state.processId),
      ];
      if (also) {
        keys.push(also.key);
        args.push(also.value, also.ttlSeconds);
      }
      const written = await WRITE_IF_NEWER(deps.redis, keys, args);
      return written === 1;
    },
    async get(tenantId, processId) {
      return parse(tenantId, await deps.redis.hget(deps.keys.process(tenantId, processId), 'd'));
    },
    keyOf: (tenantId, processId) => deps.keys.process(tenantId, processId),
    parse,
  };
}
