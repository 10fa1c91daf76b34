/** `GET /processes/:id`: a process's status, with ETag, Retry-After and long polling. */
import {
  API_ROUTES,
  HTTP_HEADERS,
  isTerminal,
  ProcessIdParamsSchema,
  type ProcessStateData,
  parsePreferWait,
} from '@stargate/contracts';
import { requireScope } from '../auth/authenticate.js';
import type { GatewayContext } from '../http/context.js';
import { rule } from './guard.js';
import { awaitChange, MAX_WAIT_SECONDS } from './long-poll.js';
import { etagMatches, etagOf, present, sendNotModified } from './process-view.js';
import { readOwnProcess } from './read-own.js';
import { ERROR_RESPONSES, type ProcessApi, plainJson, STATUS_SCHEMA } from './route-schemas.js';

/** Retry-After of a running process: its type's fast interval during the fast phase, then the slow one. */
export function pollAfterSeconds(ctx: GatewayContext, state: ProcessStateData): number | undefined {
  if (isTerminal(state.status)) return undefined;
  const hints = ctx.config.current()?.processType.get(state.processType)?.polling;
  if (!hints) return undefined;
  const ageSeconds = (ctx.now() - Date.parse(state.createdAt)) / 1000;
  const interval =
    ageSeconds < hints.fastPhaseSeconds ? hints.fastIntervalSeconds : hints.slowIntervalSeconds;
  return Math.max(1, Math.ceil(interval));
}

export function registerStatusRoute(api: ProcessApi, ctx: GatewayContext): void {
  api.get(
    API_ROUTES.process,
    {
      schema: {
        summary: 'Status of a process; Prefer: wait=N holds the answer until it changes',
        tags: ['processes'],
        security: [{ bearer: [] }],
        params: ProcessIdParamsSchema,
        response: { 200: STATUS_SCHEMA, ...ERROR_RESPONSES },
      },
      serializerCompiler: plainJson,
      // The state is read in the rate limit's Redis round trip.
      config: rule('status', 'read'),
    },
    async (request, reply) => {
      const principal = request.principal!;
      const { id } = request.params;
      request.auditInfo = { action: 'status', processId: id };
      const wait = parsePreferWait(request.headers[HTTP_HEADERS.prefer], MAX_WAIT_SECONDS);
      const ifNoneMatch = request.headers['if-none-match'];

      let state = await readOwnProcess(ctx, request, principal, id);
      requireScope(principal, state.processType, 'read');
      request.auditInfo.processType = state.processType;

      if (wait !== undefined && wait > 0) {
        reply.header(HTTP_HEADERS.preferenceApplied, `wait=${wait}`);
        state = await awaitChange(ctx, reply, {
          tenantId: principal.tenant.id,
          processId: id,
          state,
          waitSeconds: wait,
          ifNoneMatch,
        });
      }

      const etag = etagOf(state.version);
      reply.header('etag', etag).header('cache-control', 'private, no-cache');
      const retryAfter = pollAfterSeconds(ctx, state);
      if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
      if (etagMatches(ifNoneMatch, etag)) return sendNotModified(reply);
      return reply.send(present(ctx, state));
    },
  );
}
