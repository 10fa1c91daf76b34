import type { Redis } from 'ioredis';
import { luaScript } from '../state/lua-script.js';
import type { BucketSpec, Decision } from './gcra.js';
import { emissionIntervalMs } from './gcra.js';

/**
 * GCRA over several buckets in one script, so concurrent gateways share one budget exactly.
 * The clock is Redis's own (TIME), so gateways with skewed clocks still agree.
 * KEYS: bucket keys (same hash tag), then optionally a process state hash to read in the same
 * round trip (a status read needs both); ARGV: per bucket emission interval ms, burst.
 * Returns allowed, then per bucket: remaining, retryAfterMs, resetMs; then, when a state key
 * was given, its `d` field (nil when absent).
 */
const GCRA = luaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local allowed = 1
local rows = {}
local buckets = #ARGV / 2
for i = 1, buckets do
  local interval = tonumber(ARGV[2 * i - 1])
  local limit = tonumber(ARGV[2 * i]) * interval
  local tat = tonumber(redis.call('GET', KEYS[i]) or now)
  if tat < now then tat = now end
  local newTat = tat + interval
  local ok = (newTat - now) <= limit
  if not ok then allowed = 0 end
  rows[i] = {interval, limit, tat, newTat, ok}
end
local out = {allowed}
for i = 1, buckets do
  local r = rows[i]
  local after = r[3]
  if allowed == 1 then
    after = r[4]
    redis.call('SET', KEYS[i], tostring(r[4]), 'PX', math.max(1, math.ceil(r[4] - now)))
  end
  local retry = 0
  if not r[5] then retry = math.ceil(r[4] - now - r[2]) end
  table.insert(out, math.max(0, math.floor((r[2] - (after - now)) / r[1])))
  table.insert(out, retry)
  table.insert(out, math.ceil(after - now))
end
if #KEYS > buckets then
  table.insert(out, redis.call('HGET', KEYS[buckets + 1], 'd'))
end
return out
`);

export function createRedisLimiter(deps: { redis: Redis }) {
  return {
    /** `readKey`: a process state hash whose `d` field comes back as `read` (null when absent). */
    async check(specs: BucketSpec[], readKey?: string): Promise<Decision> {
      const args = specs.flatMap((s) => [String(emissionIntervalMs(s)), String(s.burst)]);
      const keys = specs.map((s) => s.key);
      if (readKey) keys.push(readKey);
      const out = (await GCRA(deps.redis, keys, args)) as (number | string | null)[];
      return {
        ...(readKey ? { read: (out[1 + specs.length * 3] as string | null | undefined) ?? null } : {}),
        allowed: out[0] === 1,
        buckets: specs.map((spec, i) => ({
          spec,
          remaining: Number(out[1 + i * 3]),
          retryAfterMs: Number(out[2 + i * 3]),
          resetMs: Number(out[3 + i * 3]),
        })),
      };
    },
  };
}
