import { Cluster, Redis, type RedisOptions } from 'ioredis';

export type RedisTopology =
  | { mode: 'standalone' }
  | { mode: 'sentinel'; sentinels: { host: string; port: number }[]; masterName: string }
  | { mode: 'cluster'; nodes: { host: string; port: number }[] };

/** `host:port,host:port` → addresses; throws naming the setting on a bad entry. */
export function parseHostList(setting: string, value: string): { host: string; port: number }[] {
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(entry);
      if (!m || Number(m[2]) > 65535) throw new Error(`${setting}: "${entry}" is not host:port`);
      return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
    });
  if (list.length === 0) throw new Error(`${setting} needs at least one host:port`);
  return list;
}

/** Credentials, database and TLS come from the URL in every mode. */
function urlOptions(url: string): RedisOptions {
  const u = new URL(url);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined;
  return {
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db !== undefined && Number.isInteger(db) ? { db } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

// Fail fast instead of queueing while Redis is down: callers have fallbacks (local limiter, RPC).
const FAIL_FAST: RedisOptions = {
  // Commands issued in the same tick (many concurrent requests) leave in one write.
  enableAutoPipelining: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  commandTimeout: 1000,
  connectTimeout: 2000,
  retryStrategy: (times) => Math.min(times * 100, 2000),
};

/**
 * A client for the given topology. A Cluster client is handed on typed as `Redis`: the gateway
 * uses only commands both share, and every multi-key script stays in one slot (hash tags).
 */
export function createRedisClient(url: string, topology: RedisTopology = { mode: 'standalone' }): Redis {
  if (topology.mode === 'sentinel') {
    return new Redis({
      ...FAIL_FAST,
      ...urlOptions(url),
      sentinels: topology.sentinels,
      name: topology.masterName,
    });
  }
  if (topology.mode === 'cluster') {
    const cluster = new Cluster(topology.nodes, {
      enableAutoPipelining: true,
      enableOfflineQueue: false,
      redisOptions: { ...FAIL_FAST, ...urlOptions(url) },
    });
    return cluster as unknown as Redis;
  }
  return new Redis(url, FAIL_FAST);
}
