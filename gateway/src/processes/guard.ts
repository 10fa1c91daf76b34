/**
 * The process API's one gate: every route in its scope is authenticated and charged against
 * the tenant's rate limit by a single onRequest hook, before a byte of the body is read (an
 * anonymous caller costs no parsing). Each route says in its config what it is called in the
 * audit trail and how it is charged.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { authenticate, enforceRateLimit } from '../auth/authenticate.js';
import type { GatewayContext } from '../http/context.js';

export interface ProcessRouteRule {
  /** The action recorded in the audit trail (also for a refused caller). */
  action: string;
  /**
   * `tenant`: the tenant's budget. `read`: the same, with the `:id` process's state fetched in
   * the rate limit's Redis round trip. `after-body`: the route charges once its body is parsed
   * (submit: the process type's own budget, named in the body).
   */
  charge: 'tenant' | 'read' | 'after-body';
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** How the process API's guard treats the route (guard.ts). */
    processApi?: ProcessRouteRule;
  }
}

/** The route config of a process API route. */
export function rule(action: string, charge: ProcessRouteRule['charge'] = 'tenant') {
  return { processApi: { action, charge } };
}

export function createGuard(ctx: GatewayContext) {
  return async function guard(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const route = request.routeOptions.config.processApi;
    if (route) request.auditInfo = { action: route.action };
    const principal = await authenticate(ctx, request);
    const charge = route?.charge ?? 'tenant';
    if (charge === 'after-body') return;
    // The raw `:id` (not validated yet): enforceRateLimit prefetches only what looks like a process id.
    const readProcess = charge === 'read' ? (request.params as { id?: unknown } | undefined)?.id : undefined;
    await enforceRateLimit(ctx, principal, reply, undefined, readProcess);
  };
}
