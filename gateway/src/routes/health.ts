import type { FastifyInstance } from 'fastify';
import { authenticate } from '../auth/authenticate.js';
import type { GatewayContext } from '../http/context.js';

async function redisReachable(ctx: GatewayContext): Promise<boolean> {
  try {
    return (await ctx.redis.ping()) === 'PONG';
  } catch {
    return false;
  }
}

export async function registerHealthRoutes(app: FastifyInstance, ctx: GatewayContext): Promise<void> {
  const hidden = { schema: { hide: true } };
  app.get('/health/live', hidden, async () => ({ status: 'ok' }));

  app.get('/health/startup', hidden, async (_request, reply) =>
    ctx.lifecycle.started ? { status: 'ok' } : reply.code(503).send({ status: 'starting' }),
  );

  app.get('/health/ready', hidden, async (_request, reply) => {
    const checks = {
      config: ctx.config.current() !== undefined,
      redis: await redisReachable(ctx),
      rabbitmq: ctx.broker.isConnected(),
      draining: ctx.lifecycle.draining,
    };
    const ready =
      checks.config && checks.redis && checks.rabbitmq && !checks.draining && ctx.lifecycle.started;
    const reason = ctx.config.missingReason();
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'not-ready', checks, ...(reason ? { reason } : {}) });
  });

  app.get('/metrics', hidden, async (_request, reply) =>
    reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics()),
  );

  // The generated document; with a bearer token, plus the schemas of the types that token may
  // use (anonymous callers do not learn which process types, and so which tenants, exist).
  app.get('/openapi.json', hidden, async (request) => {
    const principal = request.headers.authorization ? await authenticate(ctx, request) : undefined;
    const granted = new Set(principal?.tenant.processTypes.map((g) => g.name) ?? []);
    const doc = structuredClone(app.swagger()) as {
      servers?: { url: string }[];
      components?: { schemas?: Record<string, unknown> };
      'x-process-types'?: Record<string, { requestSchema: string; resultSchema?: string }>;
    };
    doc.servers = [{ url: ctx.publicUrl }];
    doc.components ??= {};
    doc.components.schemas ??= {};
    const types: Record<string, { requestSchema: string; resultSchema?: string }> = {};
    for (const pt of ctx.config.current()?.config.processTypes ?? []) {
      if (!granted.has(pt.name)) continue;
      const { $schema: _s, $id: _i, ...request } = pt.requestSchema;
      doc.components.schemas[`${pt.name}.request`] = request;
      types[pt.name] = { requestSchema: `#/components/schemas/${pt.name}.request` };
      if (pt.resultSchema) {
        const { $schema: _rs, $id: _ri, ...result } = pt.resultSchema;
        doc.components.schemas[`${pt.name}.result`] = result;
        types[pt.name]!.resultSchema = `#/components/schemas/${pt.name}.result`;
      }
    }
    doc['x-process-types'] = types;
    return doc;
  });
}
