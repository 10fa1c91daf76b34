/** `GET /process-types`: the process types this token may use, with schemas and polling hints. */
import { API_ROUTES, type ProcessTypeInfo, scopeFor } from '@stargate/contracts';
import type { GatewayContext } from '../http/context.js';
import { rule } from './guard.js';
import type { ProcessApi } from './route-schemas.js';

export function registerProcessTypeRoutes(api: ProcessApi, ctx: GatewayContext): void {
  api.get(
    API_ROUTES.processTypes,
    {
      schema: {
        summary: 'The process types this token may use, with schemas and polling hints',
        tags: ['processes'],
        security: [{ bearer: [] }],
      },
      config: rule('process-types'),
    },
    async (request) => {
      const principal = request.principal!;
      const config = ctx.config.current()!;
      const items: ProcessTypeInfo[] = [];
      for (const grant of principal.tenant.processTypes) {
        const type = config.processType.get(grant.name);
        const operations = grant.operations.filter((op) => principal.scopes.has(scopeFor(grant.name, op)));
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
