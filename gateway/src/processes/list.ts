/** `GET /processes`: the caller's processes, newest first, paged by the server. */
import { API_ROUTES, DEFAULT_LIST_LIMIT, ProcessListQuerySchema, scopeFor } from '@stargate/contracts';
import { requireScope } from '../auth/authenticate.js';
import type { GatewayContext } from '../http/context.js';
import { GatewayError } from '../http/errors.js';
import { amqpHeaders } from './amqp-headers.js';
import { rule } from './guard.js';
import { present } from './process-view.js';
import { ERROR_RESPONSES, LIST_SCHEMA, type ProcessApi, plainJson } from './route-schemas.js';

export function registerListRoute(api: ProcessApi, ctx: GatewayContext): void {
  api.get(
    API_ROUTES.processes,
    {
      schema: {
        summary: "The caller's processes, newest first, with cursor pagination",
        tags: ['processes'],
        security: [{ bearer: [] }],
        querystring: ProcessListQuerySchema,
        response: { 200: LIST_SCHEMA, ...ERROR_RESPONSES },
      },
      serializerCompiler: plainJson,
      config: rule('list'),
    },
    async (request) => {
      const principal = request.principal!;
      const q = request.query;
      if (q.processType) requireScope(principal, q.processType, 'read');
      const reply = await ctx.rpc.call(
        {
          kind: 'list-processes',
          tenantId: principal.tenant.id,
          // The schema's default fills it in; the fallback only satisfies the type.
          limit: q.limit ?? DEFAULT_LIST_LIMIT,
          ...(q.status ? { status: q.status } : {}),
          ...(q.processType ? { processType: q.processType } : {}),
          ...(q.cursor ? { cursor: q.cursor } : {}),
        },
        amqpHeaders(request, principal),
        request.otelContext,
      );
      if (!reply.ok) {
        // The server refuses what the client got wrong (e.g. a stale cursor) with INVALID_REQUEST.
        if (reply.error.code === 'INVALID_REQUEST')
          throw new GatewayError('INVALID_REQUEST', reply.error.message);
        throw new GatewayError('INTERNAL_ERROR', 'The server could not list processes');
      }
      if (reply.kind !== 'list-processes')
        throw new GatewayError('INTERNAL_ERROR', 'Unexpected answer from the server');
      // Only types the token may read; the server pages by tenant.
      const items = reply.page.items
        .filter((p) => principal.scopes.has(scopeFor(p.processType, 'read')))
        .map((p) => present(ctx, p));
      return { items, ...(reply.page.nextCursor ? { nextCursor: reply.page.nextCursor } : {}) };
    },
  );
}
