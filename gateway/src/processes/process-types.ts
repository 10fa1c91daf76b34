import type { ProcessTypeInfo } from '@stargate/contracts';
import type { FastifyInstance } from 'fastify';
import { authenticate, enforceRateLimit } from '../auth/authenticate.js';
import type { GatewayContext } from '../http/context.js';

export async function registerProcessTypeRoutes(app: FastifyInstance, ctx: GatewayContext): Promise<void> {
  app.get(
    '/process-types',
    {
      schema: {
        summary: 'The process types this token may use, with schemas and polling hints',
        tags: ['processes'],
        security: [{ bearer: [] }],
      },
      preValidation: async (request, reply) => {
        request.auditInfo = { action: 'process-types' };
        await enforceRateLimit(ctx, await authenticate(ctx, request), reply);
      },
    },
    async (request) => {
      const principal = request.principal!;
      const config = ctx.config.current()!;
      const items: ProcessTypeInfo[] = [];
      for (const grant of principal.tenant.processTypes) {
        const type = config.processType.get(grant.name);
        const operations = grant.operations.filter((op) =>
          principal.scopes.has(`process:${grant.name}:${op}`),
        );
        if (!type || operations.length === 0) continue;
        items.push({
          name: type.name,
          ...(type.description !== undefined ? { description: type.description } : {}),
          operations,
          requestSchema: type.requestSchema,
          ...(type.resultSchema !== undefined ? { resultSchema: type.resultSchema } : {}),
          polling: type.polling,
          maxPayloadBytes: type.maxPayloadBytes,
        });
      }
      return { items };
    },
  );
}
