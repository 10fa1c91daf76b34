import type { Redis } from 'ioredis';
import { Counter, Gauge, type Registry } from 'prom-client';

/** A scrape must not hang on a Redis that does not answer. */
const INFO_TIMEOUT_MS = 2_000;

interface RedisInfo {
  usedMemory: number;
  maxMemory: number;
  evictedKeys: number;
}

/** The fields of `INFO memory` + `INFO stats` the metrics need. */
export function parseRedisInfo(text: string): RedisInfo {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) fields.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  const num = (key: string) => {
    const v = Number(fields.get(key));
    return Number.isFinite(v) ? v : 0;
  };
  return { usedMemory: num('used_memory'), maxMemory: num('maxmemory'), evictedKeys: num('evicted_keys') };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis INFO took longer than ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Redis memory and evictions, read with INFO when Prometheus scrapes the gateway (no timer to
 * stop). With Redis Cluster every primary is asked and the figures are summed. Evictions are a
 * counter of what this gateway saw grow since it started, so a Redis restart (its counter back
 * to 0) does not make the rate negative. A failed INFO leaves the last figures in place.
 */
export function registerRedisInfoMetrics(deps: {
  registry: Registry;
  redis: Redis;
  onError: (err: Error) => void;
}): void {
  const lastEvicted = new Map<string, number>();
  let usedMemory = 0;
  let maxMemory = 0;
  let grown = 0;

  async function read(): Promise<void> {
    const cluster = deps.redis as unknown as { isCluster?: boolean; nodes?: (role: string) => Redis[] };
    const nodes = cluster.isCluster && cluster.nodes ? cluster.nodes('master') : [deps.redis];
    try {
      const infos = await Promise.all(
        nodes.map(async (node) => {
          const parts = await withTimeout(
            Promise.all([node.info('memory'), node.info('stats')]),
            INFO_TIMEOUT_MS,
          );
          return {
            key: `${node.options.host ?? ''}:${node.options.port ?? ''}`,
            info: parseRedisInfo(parts.join('\n')),
          };
        }),
      );
      usedMemory = infos.reduce((sum, n) => sum + n.info.usedMemory, 0);
      maxMemory = infos.reduce((sum, n) => sum + n.info.maxMemory, 0);
      for (const { key, info } of infos) {
        const before = lastEvicted.get(key);
        lastEvicted.set(key, info.evictedKeys);
        if (before === undefined) continue;
        // A smaller figure means Redis restarted (or CONFIG RESETSTAT): all of it is new.
        grown += info.evictedKeys >= before ? info.evictedKeys - before : info.evictedKeys;
      }
    } catch (err) {
      deps.onError(err as Error);
    }
  }

  // The registry collects all metrics of a scrape at once: the three share one INFO round trip.
  let pending: Promise<void> | undefined;
  const snapshot = () => {
    pending ??= read().finally(() => {
      pending = undefined;
    });
    return pending;
  };

  const registers = [deps.registry];
  new Gauge({
    name: 'gateway_redis_used_memory_bytes',
    help: "Redis' used_memory (INFO memory), summed over the primaries, read at scrape time",
    registers,
    async collect() {
      await snapshot();
      this.set(usedMemory);
    },
  });
  new Gauge({
    name: 'gateway_redis_maxmemory_bytes',
    help: "Redis' maxmemory (0: no limit), summed over the primaries",
    registers,
    async collect() {
      await snapshot();
      this.set(maxMemory);
    },
  });
  new Counter({
    name: 'gateway_redis_evicted_keys_total',
    help: 'Keys Redis evicted (INFO stats evicted_keys) while this gateway watched',
    registers,
    async collect() {
      await snapshot();
      if (grown > 0) this.inc(grown);
      grown = 0;
    },
  });
}
