/**
 * The SDK against the real gateway and the real server worker (in-process), on an isolated
 * vhost, Redis prefix and MongoDB database of the shared development services.
 */
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type StarGateClient } from '@stargate/client-sdk';
import { type GatewayConfig, hashClientSecret, type ProcessStatusBody } from '@stargate/contracts';
import { buildSigningKeys, generateSigningKey, type RunningGateway, startGateway } from '@stargate/gateway';
import { ORDER_REQUEST_SCHEMA, type RunningServer, startServer } from '@stargate/server';
import {
  createVhost,
  eventually,
  mongoDatabase,
  redisPrefix,
  serviceEnv,
  type Vhost,
} from '@stargate/testkit';
import { Redis } from 'ioredis';
import { type Db, MongoClient } from 'mongodb';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SECRET = 'integration-secret-0123456789';
const quiet = pino({ level: process.env.STARGATE_TEST_LOG_LEVEL ?? 'silent' });

// The gateway compiles schemas as JSON Schema 2020-12 and refuses a draft-07 `$schema` marker.
const { $schema: _draft, ...orderRequestSchema } = ORDER_REQUEST_SCHEMA;

const config: GatewayConfig = {
  revision: 'sdk-it-1',
  tenants: [
    {
      id: 'acme',
      displayName: 'Acme',
      clientId: 'acme-sdk',
      clientSecretHash: hashClientSecret(SECRET),
      processTypes: [{ name: 'order', operations: ['submit', 'read', 'cancel'] }],
      rateLimit: { requestsPerMinute: 6000, burst: 200 },
      suspended: false,
    },
  ],
  processTypes: [
    {
      name: 'order',
      requestSchema: orderRequestSchema as unknown as Record<string, unknown>,
      polling: {
        firstPollSeconds: 0,
        fastIntervalSeconds: 1,
        fastPhaseSeconds: 120,
        slowIntervalSeconds: 2,
        maxTimeoutSeconds: 600,
      },
      maxPayloadBytes: 65536,
      timeoutSeconds: 60,
    },
  ],
};

const order = (id: string) => ({
  orderId: id,
  customerId: 'cust-1',
  items: [{ sku: 'W-1', quantity: 1, unitPrice: 10 }],
});

let vhost: Vhost;
let mongo: { url: string; dbName: string };
let db: Db;
let mongoClient: MongoClient;
let prefix: string;
let server: RunningServer;
let gateway: RunningGateway | undefined;
let port = 0;
let clockOffsetMs = 0;
const signingKeys = buildSigningKeys([await generateSigningKey('sdk-it-1')]);

async function startGw(): Promise<RunningGateway> {
  gateway = await startGateway({
    config,
    redisUrl: serviceEnv().redisUrl,
    amqpUrl: vhost.url,
    redisPrefix: prefix,
    port,
    signingKeys,
    logger: quiet,
    clock: { now: () => Date.now() + clockOffsetMs },
    stateTtlSeconds: 3600,
    idempotencyTtlSeconds: 3600,
  });
  port = Number(new URL(gateway.url).port);
  return gateway;
}

const clients: StarGateClient[] = [];
function client(
  dbPath = join(mkdtempSync(join(tmpdir(), 'sg-it-')), 'sdk.db'),
  baseUrl = gateway!.url,
): StarGateClient {
  const c = createClient({
    baseUrl,
    clientId: 'acme-sdk',
    clientSecret: SECRET,
    databasePath: dbPath,
    longPollSeconds: 5,
    backoff: { initialDelayMs: 100 },
    logger: quiet,
  });
  clients.push(c);
  return c;
}

async function processesOf(clientProcessIdPrefix: string) {
  return db
    .collection<{ processId: string; clientProcessId?: string; createdAt: Date }>('processes')
    .find({ tenantId: 'acme', clientProcessId: { $regex: `^${clientProcessIdPrefix}` } })
    .toArray();
}

beforeAll(async () => {
  vhost = await createVhost('sdk');
  mongo = mongoDatabase('sdk');
  prefix = redisPrefix('sdk');
  mongoClient = new MongoClient(mongo.url, { serverSelectionTimeoutMS: 10_000 });
  await mongoClient.connect();
  db = mongoClient.db(mongo.dbName);
  server = await startServer({
    amqpUrl: vhost.url,
    mongoUrl: mongo.url,
    dbName: mongo.dbName,
    processTypes: ['order'],
    serverConfig: { processTypes: [] },
    logger: quiet,
  });
  await startGw();
});

afterAll(async () => {
  for (const c of clients) await c.close();
  await gateway?.close();
  await server?.close();
  await db?.dropDatabase().catch(() => undefined);
  await mongoClient?.close();
  const redis = new Redis(serviceEnv().redisUrl, { maxRetriesPerRequest: 1 });
  const keys = await redis.keys(`*${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  await vhost?.close();
});

// Processing speed depends on the shared machine; each test waits generously and asserts exactly.
describe('SDK against the real gateway and server', { timeout: 120_000 }, () => {
  it('submit → completed, result delivered to the handler', async () => {
    const c = client();
    const delivered: ProcessStatusBody[] = [];
    c.onCompleted('order', (v) => {
      delivered.push(v);
    });
    const h = await c.submit('order', order('PO-it-1'), { clientProcessId: 'single-1' });
    expect(h.processId).toMatch(/.+/);
    const final = await h.pollUntilDone();
    expect(final.status).toBe('completed');
    expect(final.result).toMatchObject({ orderId: 'PO-it-1', status: 'confirmed' });
    await eventually(() => delivered.length === 1);
    expect(delivered[0]?.processId).toBe(h.processId);
    const types = await c.processTypes();
    expect(types.map((t) => t.name)).toEqual(['order']);
  });

  it('gateway stopped, 20 submissions, client restarted, gateway started → all 20 exist once, in order', async () => {
    const dbPath = join(mkdtempSync(join(tmpdir(), 'sg-it-')), 'sdk.db');
    const url = gateway!.url;
    await gateway!.close();
    gateway = undefined;
    const first = client(dbPath, url);
    for (let i = 0; i < 20; i++) {
      const h = await first.submit('order', order(`PO-q-${i}`), {
        clientProcessId: `queued-${String(i).padStart(2, '0')}`,
      });
      expect(h.status).toBe('queued');
    }
    expect(first.queue()).toHaveLength(20);
    await first.close();

    await startGw();
    const second = client(dbPath, url);
    await eventually(() => second.queue().length === 0, 30_000);
    // The worker records them at its own pace (2 shared cores): wait generously, assert exactly.
    await eventually(async () => (await processesOf('queued-')).length >= 20, 90_000);
    const docs = await processesOf('queued-');
    const ids = docs.map((d) => d.clientProcessId);
    expect(docs).toHaveLength(20);
    expect(new Set(ids).size).toBe(20);
    // In submission order: creation times never go backwards along the clientProcessIds.
    const inSubmissionOrder = [...docs].sort((a, b) =>
      (a.clientProcessId ?? '').localeCompare(b.clientProcessId ?? ''),
    );
    const times = inSubmissionOrder.map((d) => d.createdAt.getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('a 202 lost by a dropped connection creates no duplicate', async () => {
    // A proxy that lets the first submission reach the gateway and then drops the connection
    // instead of passing the 202 back.
    let dropped = 0;
    const proxy: Server = createServer((req, res) => {
      const upstream = httpRequest(
        { host: '127.0.0.1', port, path: req.url, method: req.method, headers: req.headers },
        (up) => {
          if (req.method === 'POST' && req.url === '/api/stargate/processes' && dropped === 0) {
            dropped += 1;
            up.resume();
            up.on('end', () => req.socket.destroy());
            return;
          }
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      req.pipe(upstream);
    });
    proxy.listen(0, '127.0.0.1');
    await once(proxy, 'listening');
    try {
      const c = client(undefined, `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`);
      const h = await c.submit('order', order('PO-lost'), { clientProcessId: 'lost-202' });
      await eventually(() => h.processId !== undefined, 20_000);
      const final = await h.pollUntilDone();
      expect(final.status).toBe('completed');
      expect(dropped).toBe(1);
      const docs = await processesOf('lost-202');
      expect(docs.map((d) => d.processId)).toEqual([h.processId]);
    } finally {
      proxy.closeAllConnections();
      proxy.close();
    }
  });

  it('a 401 for an expired token is recovered transparently', async () => {
    const c = client();
    await c.list();
    // Two hours later on the gateway's clock the cached token (1 h) has expired; the client does not know.
    clockOffsetMs = 2 * 3600_000;
    try {
      const page = await c.list({ processType: 'order' });
      expect(Array.isArray(page.items)).toBe(true);
      const h = await c.submit('order', order('PO-401'), { clientProcessId: 'after-401' });
      expect((await h.pollUntilDone()).status).toBe('completed');
    } finally {
      clockOffsetMs = 0;
    }
  });
});
