import type { ProcessStateData, ProcessView } from '@stargate/contracts';
import type { Context } from '@opentelemetry/api';
import type { RpcClient } from '../broker/rpc-client.js';
import { GatewayError } from '../http/errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { PrefetchedState } from './prefetched-state.js';
import type { StaleRecheck } from './stale-recheck.js';
import type { StateStore } from './state-store.js';

/**
 * Reads a process for one tenant: Redis first; on a miss (expired, evicted, Redis restarted
 * or down) the server answers over RPC and the answer is re-cached. Another tenant's process
 * is indistinguishable from a missing one. A cached non-terminal state that has not changed
 * for a while is re-checked with the server (stale-recheck.ts), in case its events were lost.
 */
export function createProcessReader(deps: {
  store: StateStore;
  rpc: RpcClient;
  logger: Logger;
  metrics: Metrics;
  recheck?: StaleRecheck;
}) {
  return {
    async get(
      tenantId: string,
      processId: string,
      headers: Record<string, unknown> = {},
      traceContext?: Context,
      /** Read with the rate limit in the same round trip; used when it is this process's key. */
      prefetched?: PrefetchedState,
    ): Promise<ProcessStateData | undefined> {
      try {
        const cached =
          prefetched && prefetched.key === deps.store.keyOf(tenantId, processId)
            ? deps.store.parse(tenantId, prefetched.raw)
            : await deps.store.get(tenantId, processId);
        if (cached) return deps.recheck ? await deps.recheck.refresh(cached, headers, traceContext) : cached;
      } catch (err) {
        deps.metrics.redisErrors.inc({ operation: 'state-read' });
        deps.logger.warn({ err: (err as Error).message }, 'Redis state read failed; asking the server');
      }
      const reply = await deps.rpc.call({ kind: 'get-process', tenantId, processId }, headers, traceContext);
      if (!reply.ok) throw new GatewayError('INTERNAL_ERROR', 'The server could not answer the query');
      if (reply.kind !== 'get-process' || !reply.process) return undefined;
      const state: ProcessStateData = { ...(reply.process as ProcessView), tenantId };
      deps.store.writeIfNewer(state).catch((err: Error) => {
        deps.metrics.redisErrors.inc({ operation: 'state-recache' });
        deps.logger.warn({ err: err.message }, 'could not re-cache process state');
      });
      return state;
    },
  };
}

export type ProcessReader = ReturnType<typeof createProcessReader>;
