/**
 * Long polling (`Prefer: wait=N`): a status read held until the process changes, the wait
 * runs out, the client goes away or the gateway drains. Woken by the state's Redis channel
 * (change-notifier), never by polling Redis.
 */
import { isTerminal, type ProcessStateData } from '@stargate/contracts';
import type { FastifyReply } from 'fastify';
import type { GatewayContext } from '../http/context.js';
import { etagMatches, etagOf } from './process-view.js';

/** The longest wait a client may ask for; a longer one is cut to this. */
export const MAX_WAIT_SECONDS = 60;

export interface LongPoll {
  tenantId: string;
  processId: string;
  /** The state as read before waiting. */
  state: ProcessStateData;
  waitSeconds: number;
  /** The client's If-None-Match: it already holds that version. */
  ifNoneMatch: string | undefined;
}

/** Waiting is worth it while the client already has this version (or has none yet) and it can still change. */
export function worthWaiting(state: ProcessStateData, ifNoneMatch: string | undefined): boolean {
  return (
    !isTerminal(state.status) &&
    (ifNoneMatch === undefined || etagMatches(ifNoneMatch, etagOf(state.version)))
  );
}

/** The state to answer with: a newer version as soon as there is one, else the latest read when the wait ends. */
export async function awaitChange(
  ctx: GatewayContext,
  reply: FastifyReply,
  poll: LongPoll,
): Promise<ProcessStateData> {
  const { tenantId, processId } = poll;
  let state = poll.state;
  if (!worthWaiting(state, poll.ifNoneMatch)) return state;
  const startVersion = state.version;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), poll.waitSeconds * 1000);
  // The response's close before it is sent means the client went away.
  reply.raw.once('close', () => abort.abort());
  try {
    while (!abort.signal.aborted && !ctx.lifecycle.draining) {
      const { changed, unavailable } = await ctx.notifier.watch(
        ctx.keys.processChannel(tenantId, processId),
        abort.signal,
      );
      // Re-read after subscribing: a change between the first read and the subscription is not lost.
      const fresh = await ctx.reader.get(tenantId, processId).catch(() => undefined);
      if (fresh && fresh.version !== startVersion) {
        state = fresh;
        break;
      }
      if (unavailable) break;
      await changed;
    }
    if (abort.signal.aborted || ctx.lifecycle.draining)
      state = (await ctx.reader.get(tenantId, processId).catch(() => undefined)) ?? state;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return state;
}
