// Measures what a client user notices, against the real gateway + server worker in-process:
//   1. submit → result seen, with long polls vs. the plain schedule (1 s fast interval);
//   2. flushing an offline queue of N submissions after the gateway comes back.
// Run after `npm run build` with the services env: node e2e/bench/sdk-bench.mjs [N]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashClientSecret } from '@stargate/contracts';
import { buildSigningKeys, generateSigningKey, startGateway } from '@stargate/gateway';
import { ORDER_REQUEST_SCHEMA, startServer } from '@stargate/server';
import { createClient } from '@stargate/client-sdk';
import { createVhost, mongoDatabase, redisPrefix, serviceEnv } from '@stargate/testkit';
import { MongoClient } from 'mongodb';
import pino from 'pino';

const N = Number(process.argv[2] ?? 50);
const quiet = pino({ level: 'silent' });
const { $schema: _d, ...requestSchema } = ORDER_REQUEST_SCHEMA;
const SECRET = 'bench-secret-0123456789';
const config = {
  revision: 'bench',
  tenants: [
    {
      id: 'acme',
      displayName: 'Acme',
      clientId: 'acme-bench',
      clientSecretHash: hashClientSecret(SECRET),
      processTypes: [{ name: 'order', operations: ['submit', 'read', 'cancel'] }],
      rateLimit: { requestsPerMinute: 100000, burst: 10000 },
      suspended: false,
    },
  ],
  processTypes: [
    {
      name: 'order',
      requestSchema,
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
const order = (id) => ({ orderId: id, customerId: 'c', items: [{ sku: 'W-1', quantity: 1, unitPrice: 1 }] });

const vhost = await createVhost('sdkbench');
const mongo = mongoDatabase('sdkbench');
const prefix = redisPrefix('sdkbench');
const signingKeys = buildSigningKeys([await generateSigningKey('bench')]);
const server = await startServer({
  amqpUrl: vhost.url,
  mongoUrl: mongo.url,
  dbName: mongo.dbName,
  processTypes: ['order'],
  serverConfig: { processTypes: [] },
  logger: quiet,
});
let port = 0;
const startGw = async () => {
  const gw = await startGateway({
    config,
    redisUrl: serviceEnv().redisUrl,
    amqpUrl: vhost.url,
    redisPrefix: prefix,
    port,
    signingKeys,
    logger: quiet,
    stateTtlSeconds: 600,
    idempotencyTtlSeconds: 600,
  });
  port = Number(new URL(gw.url).port);
  return gw;
};
let gateway = await startGw();
const newClient = (longPollSeconds, db = join(mkdtempSync(join(tmpdir(), 'sg-bench-')), 'sdk.db')) =>
  createClient({
    baseUrl: `http://127.0.0.1:${port}`,
    clientId: 'acme-bench',
    clientSecret: SECRET,
    databasePath: db,
    longPollSeconds,
    backoff: { initialDelayMs: 100 },
  });

const pct = (xs, p) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const results = {};
for (const [label, lp] of [
  ['long-poll', 10],
  ['schedule-1s', 0],
]) {
  const c = newClient(lp);
  const lat = [];
  for (let i = 0; i < Math.min(N, 20); i++) {
    const t0 = performance.now();
    const h = await c.submit('order', order(`${label}-${i}`));
    await h.pollUntilDone();
    lat.push(performance.now() - t0);
  }
  await c.close();
  results[label] = { n: lat.length, p50ms: Math.round(pct(lat, 50)), p95ms: Math.round(pct(lat, 95)) };
}

await gateway.close();
const db = join(mkdtempSync(join(tmpdir(), 'sg-bench-')), 'sdk.db');
const offline = newClient(0, db);
for (let i = 0; i < N; i++)
  await offline.submit('order', order(`q-${i}`), { clientProcessId: `q-${String(i).padStart(4, '0')}` });
await offline.close();
gateway = await startGw();
const t0 = performance.now();
const flusher = newClient(0, db);
while (flusher.queue().length > 0) await new Promise((r) => setTimeout(r, 20));
const flushMs = performance.now() - t0;
results.offlineFlush = { n: N, totalMs: Math.round(flushMs), perSubmissionMs: +(flushMs / N).toFixed(1) };
await flusher.close();

console.log(JSON.stringify(results, null, 2));
await gateway.close();
await server.close();
const mc = new MongoClient(mongo.url);
await mc.connect();
await mc.db(mongo.dbName).dropDatabase();
await mc.close();
await vhost.close();
process.exit(0);
