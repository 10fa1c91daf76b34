import type { FastifyRequest } from 'fastify';

/** A process state read in the same Redis round trip as the rate-limit decision. */
export interface PrefetchedState {
  key: string;
  /** The stored JSON, or null when Redis has no state under `key`. */
  raw: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    prefetchedState?: PrefetchedState;
  }
}

/** Same rule as the route's `id` parameter schema: anything else is not worth a read. */
const PROCESS_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function isProcessId(value: unknown): value is string {
  return typeof value === 'string' && PROCESS_ID.test(value);
}

/** Hands the prefetched state over once: later reads in the same request (long-poll) go to Redis. */
export function takePrefetchedState(request: FastifyRequest): PrefetchedState | undefined {
  const pre = request.prefetchedState;
  request.prefetchedState = undefined;
  return pre;
}
