import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { SecureContextOptions } from 'node:tls';
import {
  API_BASE_PATH,
  API_ROUTES,
  HTTP_HEADERS,
  isValidCorrelationId,
  PUBLIC_API_VERSION,
} from '@stargate/contracts';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import swagger from '@fastify/swagger';
import { extractHttpContext } from '@stargate/telemetry';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { createRequestObserver } from '../observability/request-observer.js';
import { registerProcessApi } from '../processes/process-api.js';
import { startServerSpan, traceHeadersOf, tracingEnabled } from '../observability/tracing.js';
import { registerHealthRoutes } from '../routes/health.js';
import { registerOAuthRoutes } from '../routes/oauth.js';
import type { GatewayContext } from './context.js';
import { DEFAULT_BODY_LIMIT } from './body-limit.js';
import { createMethodIndex } from './method-index.js';
import { GatewayError } from './errors.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth.js';
import { sendProblem, toGatewayError } from './problem-reply.js';
import { stripIdentityHeaders, traceContext } from './request-context.js';

const OPERATIONAL = new Set([
  '/health/live',
  '/health/ready',
  '/health/startup',
  '/metrics',
  '/openapi.json',
]);

/** Ends the request's span once (a response or an abort, whichever comes first). */
function endServerSpan(request: FastifyRequest, status: number | undefined): void {
  const span = request.span;
  if (!span) return;
  request.span = undefined;
  if (span.isRecording()) {
    if (status !== undefined) span.setAttribute('http.response.status_code', status);
    else span.setStatus({ code: SpanStatusCode.ERROR, message: 'client closed the request' });
    if (status !== undefined && status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    if (request.principal) span.setAttribute('stargate.tenant_id', request.principal.tenant.id);
    const processId = request.auditInfo?.processId;
    if (processId) span.setAttribute('stargate.process_id', processId);
  }
  span.end();
}

export async function buildApp(
  ctx: GatewayContext,
  options: {
    /** Serve HTTPS with these (checked) settings, see tls-files.ts; default plain HTTP. */
    https?: SecureContextOptions;
  } = {},
): Promise<FastifyInstance> {
  const requestObserver = createRequestObserver(ctx.metrics, ctx.now);
  const { https } = options;
  const app = Fastify({
    // An https.Server: its setSecureContext swaps a renewed certificate in (tls-reloader.ts).
    ...(https
      ? {
          serverFactory: (handler: Parameters<typeof createHttpsServer>[1]) =>
            createHttpsServer(https, handler) as unknown as Server,
        }
      : {}),
    loggerInstance: ctx.logger as FastifyBaseLogger,
    // Routes that take more (submit) say so and decide per caller before reading (body-limit.ts).
    bodyLimit: DEFAULT_BODY_LIMIT,
    // The correlation id doubles as the request id, so every log line of a request carries it.
    genReqId: (req) => {
      const given = req.headers[HTTP_HEADERS.correlationId];
      return isValidCorrelationId(given) ? given : randomUUID();
    },
    return503OnClosing: true,
    // A URL fastify cannot decode (e.g. `%ZZ`) gets the same problem+json as every other error.
    frameworkErrors: (_error, request, reply) =>
      sendProblem(ctx, request, reply, new GatewayError('INVALID_REQUEST', 'The request URL is malformed')),
    // X-Forwarded-For is believed only from in-cluster hops (load balancer, ingress), so a client
    // cannot put another address into the audit trail.
    trustProxy: ['127.0.0.0/8', '::1/128', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
  });

  // Every route's methods, so a known path asked with another method is answered 405.
  const methods = createMethodIndex();
  app.addHook('onRoute', (route) => methods.add(route));

  // Own JSON parser: remembers the body size (per-type limits) and refuses empty bodies cleanly.
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser(
    /^application\/([\w.-]+\+)?json$/,
    { parseAs: 'buffer' },
    (request, body, done) => {
      const buf = body as Buffer;
      request.bodySize = buf.length;
      if (buf.length === 0) return done(new GatewayError('INVALID_REQUEST', 'The body is empty'), undefined);
      if (nestsDeeperThan(buf, MAX_JSON_DEPTH)) {
        return done(
          new GatewayError('INVALID_REQUEST', `The body nests deeper than ${MAX_JSON_DEPTH} levels`),
          undefined,
        );
      }
      try {
        done(null, JSON.parse(buf.toString('utf8')));
      } catch {
        done(new GatewayError('INVALID_REQUEST', 'The body is not valid JSON'), undefined);
      }
    },
  );

  app.addHook('onRequest', async (request, reply) => {
    request.startedAt = process.hrtime.bigint();
    stripIdentityHeaders(request);
    const route = request.routeOptions.url;
    // Probes and scrapes are not traced: they would drown the traces worth looking at.
    // Without a tracer provider there is nothing to record: no span bookkeeping per request.
    if ((route && (OPERATIONAL.has(route) || route.startsWith('/.well-known'))) || !tracingEnabled()) {
      request.trace = traceContext(request);
    } else {
      const parent = extractHttpContext(request.headers);
      const span = startServerSpan(route ? `${request.method} ${route}` : request.method, parent, {
        'http.request.method': request.method,
        ...(route ? { 'http.route': route } : {}),
        'url.path': request.url.split('?', 1)[0] ?? request.url,
        'stargate.correlation_id': request.id,
      });
      request.span = span;
      request.otelContext = trace.setSpan(parent, span);
      request.trace = traceHeadersOf(span, parent) ?? traceContext(request);
    }
    reply.header(HTTP_HEADERS.correlationId, request.id);
  });

  // While draining, answers end their keep-alive connection, so close() does not wait on idle clients.
  app.addHook('onSend', async (_request, reply) => {
    if (ctx.lifecycle.draining) reply.header('connection', 'close');
  });

  app.addHook('onRequestAbort', async (request) => endServerSpan(request, undefined));

  app.addHook('onResponse', async (request, reply) => {
    endServerSpan(request, reply.statusCode);
    const route = request.routeOptions.url ?? 'unmatched';
    requestObserver.observe(request, reply);
    if (OPERATIONAL.has(route) || route.startsWith('/.well-known')) return;
    const status = reply.statusCode;
    const info = request.auditInfo;
    ctx.auditor.record({
      action: info?.action ?? `${request.method} ${route}`,
      method: request.method,
      route,
      status,
      outcome:
        status < 400 ? 'success' : status === 401 || status === 403 || status === 429 ? 'denied' : 'error',
      correlationId: request.id,
      ...(request.principal
        ? { tenantId: request.principal.tenant.id, clientId: request.principal.clientId }
        : {}),
      ...(info?.processId ? { processId: info.processId } : {}),
      ...(info?.processType ? { processType: info.processType } : {}),
      ...(request.ip ? { remoteAddress: request.ip } : {}),
    });
  });

  app.setErrorHandler((err, request, reply) => {
    const mapped = toGatewayError(err);
    if (mapped.code === 'INTERNAL_ERROR') request.log.error({ err }, 'request failed');
    else if (mapped.code === 'SERVICE_UNAVAILABLE' || mapped.code === 'UPSTREAM_TIMEOUT') {
      request.log.warn({ err: (err as Error).message }, 'dependency unavailable');
    }
    return sendProblem(ctx, request, reply, mapped);
  });
  app.setNotFoundHandler((request, reply) => {
    const allowed = methods.allowed(request.url.split('?', 1)[0] ?? request.url);
    if (allowed) {
      reply.header('allow', allowed.join(', '));
      return sendProblem(
        ctx,
        request,
        reply,
        new GatewayError(
          'METHOD_NOT_ALLOWED',
          `${request.method} is not allowed here; use ${allowed.join(', ')}`,
        ),
      );
    }
    return sendProblem(ctx, request, reply, new GatewayError('NOT_FOUND', 'No such resource'));
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'StarGate gateway API',
        // The version of the public contract (contracts/src/api), not of the gateway build.
        version: PUBLIC_API_VERSION,
        description: 'Submit business processes and read their status. Errors are application/problem+json.',
      },
      servers: [{ url: ctx.publicUrl }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          oauth2: {
            type: 'oauth2',
            flows: { clientCredentials: { tokenUrl: `${ctx.publicUrl}${API_ROUTES.token}`, scopes: {} } },
          },
        },
      },
    },
  });

  await app.register(async (scope) => registerOAuthRoutes(scope, ctx));
  await app.register(async (scope) => registerOAuthRoutes(scope, ctx), { prefix: API_BASE_PATH });
  await app.register(async (scope) => registerProcessApi(scope, ctx), { prefix: API_BASE_PATH });
  await app.register(async (scope) => registerHealthRoutes(scope, ctx));
  return app;
}
