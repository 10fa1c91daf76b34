import {
  type CircuitBreaker,
  createCircuitBreaker,
  isTerminal,
  type ProcessStateData,
  type ProcessView,
  type RedisKeys,
} from '@stargate/contracts';
import type { Context } from '@opentelemetry/api';
import type { Redis } from 'ioredis';
import type { RpcClient } from '../broker/rpc-client.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { StateStore } from './state-store.js';

/** No state change for 5 minutes makes a non-terminal state worth a re-check (STARGATE_STATE_RECHECK_SECONDS). */
export const DEFAULT_STATE_RECHECK_MS = 300_000;
/** A re-check the read waits for at most this long; then the cached state is served. */
export const RECHECK_DEADLINE_MS = 1000;
/** Processes this gateway remembers having re-checked (older entries are dropped first). */
const MEMO_LIMIT = 10_000;

export interface StaleRecheck {
  /**
   * `cached`, or the store's newer state when `cached` is non-terminal and has not changed
   * for `afterMs` (its state events may have been lost: Redis outage, dead-lettered event).
   * Never throws; waits at most the deadline.
   */
  refresh(
    cached: ProcessStateData,
    headers?: Record<string, unknown>,
    traceContext?: Context,
  ): Promise<ProcessStateData>;
}

/**
 * Re-checks stale non-terminal states with the server (the `get-process` query) and refreshes
 * Redis from the store's answer. Bounded: at most once per process per `afterMs` across all
 * gateways (a Redis `SET NX PX` gate, plus a local memo so a polled process costs no extra
 * Redis call per read), concurrent reads of one process share one query, the query has a short
 * deadline, and a circuit breaker stops asking while the server does not answer.
 */
export function createStaleRecheck(deps: {
  rpc: RpcClient;
  store: StateStore;
  redis: Redis;
  keys: RedisKeys;
  logger: Logger;
  metrics: Metrics;
  /** No state change for this long makes a non-terminal state worth a re-check; 0 turns it off. */
  afterMs: number;
  now: () => number;
  deadlineMs?: number;
  breaker?: CircuitBreaker;
}): StaleRecheck {
  const deadlineMs = deps.deadlineMs ?? RECHECK_DEADLINE_MS;
  const breaker = deps.breaker ?? createCircuitBreaker({ now: deps.now });
  /** Process key → when this gateway may re-check it again. Insertion order is age order. */
  const memo = new Map<string, number>();
  const inFlight = new Map<string, Promise<ProcessStateData>>();

  function due(key: string, now: number): boolean {
    const next = memo.get(key);
    if (next !== undefined && next > now) return false;
    memo.delete(key);
    if (memo.size >= MEMO_LIMIT) {
      const oldest = memo.keys().next().value;
      if (oldest !== undefined) memo.delete(oldest);
    }
    memo.set(key, now + deps.afterMs);
    return true;
  }

  async function recheck(
    cached: ProcessStateData,
    key: string,
    headers: Record<string, unknown>,
    traceContext: Context | undefined,
  ): Promise<ProcessStateData> {
    const gate = `${key}:recheck`;
    // Another gateway (or this one, before a restart) asked within the interval.
    const claimed = await deps.redis.set(gate, '1', 'PX', deps.afterMs, 'NX');
    if (claimed !== 'OK') {
      deps.metrics.stateRechecks.inc({ result: 'skipped' });
      return cached;
    }
    const release = async () => {
      memo.delete(key);
      await deps.redis.del(gate).catch(() => undefined);
    };
    // Half-open lets one trial through; every other read serves the cached state at once.
    if (!breaker.allowRequest()) {
      await release();
      return cached;
    }
    let answer: ProcessView | null;
    try {
      const reply = await deps.rpc.call(
        { kind: 'get-process', tenantId: cached.tenantId, processId: cached.processId },
        headers,
        traceContext,
        { deadlineMs },
      );
      if (!reply.ok || reply.kind !== 'get-process')
        throw new Error(reply.ok ? 'unexpected reply' : reply.error.message);
      breaker.success();
      answer = reply.process as ProcessView | null;
    } catch (err) {
      breaker.failure();
      deps.metrics.stateRechecks.inc({ result: 'failed' });
      deps.logger.warn(
        { err: (err as Error).message, processId: cached.processId },
        'stale state not re-checked; serving the cached one',
      );
      // Let a later read try again (the breaker spaces the attempts out).
      await release();
      return cached;
    }
    // No record (yet): the request may still wait in its queue. The cached state stands.
    if (!answer || answer.version <= cached.version) {
      deps.metrics.stateRechecks.inc({ result: 'current' });
      return cached;
    }
    const fresh: ProcessStateData = { ...answer, tenantId: cached.tenantId };
    deps.metrics.stateRechecks.inc({ result: 'refreshed' });
    deps.logger.info(
      { event: 'state.refreshed', processId: fresh.processId, from: cached.status, to: fresh.status },
      'stale process state refreshed from the store',
    );
    // Also wakes the long-polls waiting on this process.
    await deps.store.writeIfNewer(fresh).catch((err: Error) => {
      deps.metrics.redisErrors.inc({ operation: 'state-recheck' });
      deps.logger.warn({ err: err.message }, 'could not write the re-checked state');
    });
    return fresh;
  }

  return {
    async refresh(cached, headers = {}, traceContext) {
      if (deps.afterMs <= 0 || isTerminal(cached.status)) return cached;
      const updated = Date.parse(cached.updatedAt);
      const now = deps.now();
      if (!(now - updated >= deps.afterMs)) return cached;
      const key = deps.store.keyOf(cached.tenantId, cached.processId);
      const running = inFlight.get(key);
      if (running) return running;
      // While the server does not answer, reads do not wait on it.
      if (breaker.state() === 'open' || !due(key, now)) return cached;
      const pending = recheck(cached, key, headers, traceContext)
        .catch((err: Error) => {
          // The Redis gate failed: the state came from Redis a moment ago, so serve it.
          deps.metrics.redisErrors.inc({ operation: 'state-recheck' });
          deps.logger.warn({ err: err.message }, 'stale state re-check skipped');
          return cached;
        })
        .finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
      return pending;
    },
  };
}
