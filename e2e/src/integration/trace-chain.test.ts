import { randomBytes } from 'node:crypto';
import { type GatewayConfig, hashClientSecret } from '@stargate/contracts';
import { type RunningGateway, startGateway } from '@stargate/gateway';
import { type RunningServer, startServer } from '@stargate/server';
import { startTracing, type Tracing } from '@stargate/telemetry';
import {
  createVhost,
  eventually,
  mongoDatabase,
  redisPrefix,
  serviceEnv,
  type Vhost,
} from '@stargate/testkit';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { MongoClient } from 'mongodb';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SECRET = 'trace-secret-0123456789';
const quietLogger = pino({ level: process.env.STARGATE_TEST_LOG_LEVEL ?? 'silent' });

function gatewayConfig(): GatewayConfig {
  return {
    revision: 'trace-1',
    processTypes: [
      {
        name: 'order',
        // The server validates the order itself; the gateway only needs an object.
        requestSchema: { type: 'object' },
        polling: {
          firstPollSeconds: 1,
          fastIntervalSeconds: 2,
          fastPhaseSeconds: 30,
          slowIntervalSeconds: 10,
          maxTimeoutSeconds: 600,
        },
        maxPayloadBytes: 4096,
        timeoutSeconds: 60,
      },
    ],
    tenants: [
      {
        id: 'acme',
        displayName: 'Acme',
        clientId: 'acme-client',
        clientSecretHash: hashClientSecret(SECRET),
        processTypes: [{ name: 'order', operations: ['submit', 'read'] }],
        rateLimit: { requestsPerMinute: 6000, burst: 1000 },
        suspended: false,
      },
    ],
  };
}

describe('one trace from the HTTP request to MongoDB (real gateway, RabbitMQ, server, MongoDB-wire)', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;
  let vhost: Vhost;
  let server: RunningServer;
  let gw: RunningGateway;
  const mongo = mongoDatabase('trace');

  beforeAll(async () => {
    tracing = startTracing({
      serviceName: 'trace-chain-test',
      env: {},
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    vhost = await createVhost('trace');
    // The server first: it declares the work queue the gateway's mandatory publish needs.
    server = await startServer({
      amqpUrl: vhost.url,
      mongoUrl: mongo.url,
      dbName: mongo.dbName,
      processTypes: ['order'],
      logger: quietLogger,
    });
    gw = await startGateway({
      config: gatewayConfig(),
      redisUrl: serviceEnv().redisUrl,
      redisPrefix: redisPrefix('trace'),
      amqpUrl: vhost.url,
    });
  });
  afterAll(async () => {
    await gw?.close();
    await server?.close();
    await tracing?.close();
    await vhost?.close();
    const client = new MongoClient(mongo.url);
    await client.db(mongo.dbName).dropDatabase();
    await client.close();
  });

  let token: string;

  it('continues the caller traceparent through gateway, publish, consumer, handler and store spans', async () => {
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    const tokenRes = await fetch(`${gw.url}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`acme-client:${SECRET}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: form.toString(),
    });
    token = ((await tokenRes.json()) as { access_token: string }).access_token;

    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const res = await fetch(`${gw.url}/api/stargate/processes`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        traceparent: `00-${traceId}-${callerSpanId}-01`,
        tracestate: 'vendor=abc',
      },
      body: JSON.stringify({
        processType: 'order',
        clientProcessId: 'PO-7',
        data: { orderId: 'PO-7', customerId: 'C-1', items: [{ sku: 'SKU-1', quantity: 1, unitPrice: 3 }] },
      }),
    });
    expect(res.status).toBe(202);
    const { processId } = (await res.json()) as { processId: string };

    // Completion as a client sees it (the state events travel back through the gateway).
    await eventually(async () => {
      const status = await fetch(`${gw.url}/api/stargate/processes/${processId}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return ((await status.json()) as { status: string }).status === 'completed';
    });
    const spans = await eventually(() => {
      const mine = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
      return mine.some((s) => s.kind === SpanKind.CONSUMER) ? mine : undefined;
    });

    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    const parentOf = (s: ReadableSpan) => byId.get(s.parentSpanContext?.spanId ?? '');
    const one = (match: (s: ReadableSpan) => boolean, what: string) => {
      const found = spans.filter(match);
      expect(found, what).toHaveLength(1);
      return found[0] as ReadableSpan;
    };

    const http = one((s) => s.kind === SpanKind.SERVER, 'gateway server span');
    expect(http.name).toBe('POST /api/stargate/processes');
    expect(http.parentSpanContext?.spanId).toBe(callerSpanId);
    expect(http.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/api/stargate/processes',
      'http.response.status_code': 202,
      'stargate.tenant_id': 'acme',
      'stargate.process_id': processId,
    });

    const publish = one((s) => s.kind === SpanKind.PRODUCER, 'publish span');
    expect(publish.name).toBe('publish stargate.requests');
    expect(parentOf(publish)).toBe(http);

    const consumer = one((s) => s.kind === SpanKind.CONSUMER, 'server consumer span');
    expect(consumer.name).toBe('process order');
    expect(parentOf(consumer)).toBe(publish);
    // The caller's vendor state travelled along.
    expect(consumer.spanContext().traceState?.get('vendor')).toBe('abc');

    const handler = one((s) => s.name === 'handler order', 'handler span');
    expect(parentOf(handler)).toBe(consumer);

    const db = spans.filter((s) => s.attributes['db.system'] === 'mongodb');
    expect(db.length).toBeGreaterThan(0);
    for (const s of db) {
      expect([consumer, handler]).toContain(parentOf(s));
      expect(s.attributes['db.collection.name']).toMatch(/^(processes|process_events)$/);
      expect(typeof s.attributes['db.operation.name']).toBe('string');
    }
    expect(db.map((s) => s.name)).toEqual(expect.arrayContaining(['insert processes']));
  });

  it('traces a status query the gateway cannot answer from Redis through the RPC to MongoDB', async () => {
    expect(token).toBeDefined();
    const traceId = randomBytes(16).toString('hex');
    const res = await fetch(`${gw.url}/api/stargate/processes/not-there-${traceId.slice(0, 8)}`, {
      headers: {
        authorization: `Bearer ${token}`,
        traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
      },
    });
    expect(res.status).toBe(404);
    const spans = await eventually(() => {
      const mine = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
      return mine.some((s) => s.kind === SpanKind.SERVER) && mine.some((s) => s.kind === SpanKind.CONSUMER)
        ? mine
        : undefined;
    });
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    const parentOf = (s: ReadableSpan | undefined) => byId.get(s?.parentSpanContext?.spanId ?? '');
    const http = spans.find((s) => s.kind === SpanKind.SERVER);
    expect(http?.name).toBe('GET /api/stargate/processes/:id');
    expect(http?.attributes['http.response.status_code']).toBe(404);
    const publish = spans.find((s) => s.kind === SpanKind.PRODUCER);
    expect(publish?.name).toBe('publish stargate.rpc');
    expect(parentOf(publish)).toBe(http);
    const query = spans.find((s) => s.kind === SpanKind.CONSUMER);
    expect(query?.name).toBe('query stargate.rpc');
    expect(parentOf(query)).toBe(publish);
    const find = spans.find((s) => s.attributes['db.system'] === 'mongodb');
    expect(find?.name).toBe('find processes');
    expect(parentOf(find)).toBe(query);
  });
});
