/**
 * `make bench`, private side: how fast the server workers complete work, and how many times
 * they talk to the store per process. Separate from run.ts (the gateway-facing figures).
 *   - completion: order requests (no simulated delay) published straight to the type's queue
 *     of a stack with STARGATE_BENCH_WORKERS (2) workers: a burst, then a paced run at
 *     STARGATE_BENCH_RATE (300/s) for STARGATE_BENCH_PACED_SECONDS (10 s) and the time the
 *     queue takes to drain after it;
 *   - submit → SDK sees `completed` (long-poll, one after another, idle system): p50/p99;
 *   - store round trips per process, counted by the driver's command monitor on an in-process
 *     worker.
 * Writes bench/private-side.json.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@stargate/client-sdk';
import {
  AMQP_HEADERS,
  cloudEvent,
  EXCHANGES,
  MESSAGE_TYPES,
  type ProcessRequestedData,
  processQueue,
} from '@stargate/contracts';
import { createServer, resolveProcessTypes } from '@stargate/server';
import { createVhost, mongoDatabase } from '@stargate/testkit';
import { type ConfirmChannel, connect } from 'amqplib';
import { MongoClient } from 'mongodb';
import pino from 'pino';
import { REPO_ROOT, type Stack, startStack } from '../support/stack.js';
import { exampleConfig, orderData } from '../support/system.js';
import { percentile, round } from './load.js';

const WORKERS = Number(process.env.STARGATE_BENCH_WORKERS ?? 2);
const BURST = Number(process.env.STARGATE_BENCH_BURST ?? 3000);
const RATE = Number(process.env.STARGATE_BENCH_RATE ?? 300);
const PACED_SECONDS = Number(process.env.STARGATE_BENCH_PACED_SECONDS ?? 10);
const LATENCY_COUNT = Number(process.env.STARGATE_BENCH_LATENCY_COUNT ?? 100);
/** Handlers of `order` one worker runs at once (its RabbitMQ prefetch); the example config has 8. */
const ORDER_CONCURRENCY = Number(process.env.STARGATE_BENCH_ORDER_CONCURRENCY ?? 64);

const log = (msg: string) => process.stderr.write(`bench private side: ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function requestMessage(processId: string, i: number) {
  const req: ProcessRequestedData = {
    processId,
    tenantId: 'acme',
    clientId: 'acme-bench',
    processType: 'order',
    payloadHash: 'bench',
    data: orderData(`pb-${i}`, 1),
    submittedAt: new Date().toISOString(),
    attempt: 1,
  };
  const event = cloudEvent(
    { id: processId, source: 'bench', type: MESSAGE_TYPES.processRequested, tenantId: 'acme' },
    req,
  );
  return {
    body: Buffer.from(JSON.stringify(event)),
    options: {
      persistent: true,
      contentType: 'application/json',
      messageId: processId,
      headers: { [AMQP_HEADERS.tenantId]: 'acme', [AMQP_HEADERS.correlationId]: processId },
    },
  };
}

function publish(ch: ConfirmChannel, processId: string, i: number): Promise<void> {
  const { body, options } = requestMessage(processId, i);
  return new Promise((resolve, reject) =>
    ch.publish(EXCHANGES.requests, 'order', body, options, (err) => (err ? reject(err) : resolve())),
  );
}

/**
 * Processes seen completed, from the state events (not by querying the store, which would
 * load the store under measurement).
 */
async function completions(amqpUrl: string) {
  const conn = await connect(amqpUrl);
  const ch = await conn.createChannel();
  await ch.assertExchange(EXCHANGES.events, 'topic', { durable: true });
  const q = await ch.assertQueue('', { exclusive: true });
  await ch.bindQueue(q.queue, EXCHANGES.events, '*.order.completed');
  const done = new Set<string>();
  await ch.consume(
    q.queue,
    (msg) => {
      if (msg)
        done.add((JSON.parse(msg.content.toString()) as { data: { processId: string } }).data.processId);
    },
    { noAck: true },
  );
  return {
    count: (ids: readonly string[]) => ids.reduce((n, id) => n + (done.has(id) ? 1 : 0), 0),
    close: () => conn.close(),
  };
}

type Completions = Awaited<ReturnType<typeof completions>>;

/** Publishes `count` requests at once; the time until all are completed. */
async function burst(stack: Stack, seen: Completions, ch: ConfirmChannel, count: number) {
  const ids = Array.from({ length: count }, () => randomUUID());
  const started = performance.now();
  await Promise.all(ids.map((id, i) => publish(ch, id, i)));
  const published = performance.now();
  while (seen.count(ids) < count) {
    if (performance.now() - started > 600_000) throw new Error('burst not completed within 10 minutes');
    await sleep(100);
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    processes: count,
    publishSeconds: round((published - started) / 1000),
    seconds: round(seconds),
    completedPerSecond: round(count / seconds),
    workers: stack.workers.length,
  };
}

/** Publishes at `rate` per second for `seconds`; the queue depth on the way and the drain time after. */
async function paced(seen: Completions, ch: ConfirmChannel, rate: number, seconds: number) {
  const ids: string[] = [];
  const depth = async () => (await ch.checkQueue(processQueue('order'))).messageCount;
  let maxDepth = 0;
  const started = performance.now();
  const total = Math.round(rate * seconds);
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const id = randomUUID();
    ids.push(id);
    void publish(ch, id, i);
    if (i % Math.max(1, Math.round(rate / 4)) === 0) maxDepth = Math.max(maxDepth, await depth());
  }
  const lastPublish = performance.now();
  const offeredRate = total / ((lastPublish - started) / 1000);
  while (seen.count(ids) < total) {
    if (performance.now() - lastPublish > 600_000)
      throw new Error('paced run not completed within 10 minutes');
    await sleep(100);
  }
  const drainSeconds = (performance.now() - lastPublish) / 1000;
  return {
    offeredPerSecond: round(offeredRate),
    seconds,
    processes: total,
    maxQueueDepth: maxDepth,
    drainSecondsAfterLastPublish: round(drainSeconds),
    completedPerSecond: round(total / ((performance.now() - started) / 1000)),
  };
}

async function latency(stack: Stack, count: number) {
  const cred = stack.credentials.find((c) => c.tenantId === 'acme');
  if (!cred) throw new Error('no acme credentials');
  const client = createClient({
    baseUrl: stack.gatewayUrls[0] ?? '',
    clientId: cred.clientId,
    clientSecret: cred.clientSecret,
    databasePath: ':memory:',
    longPollSeconds: 30,
  });
  try {
    await client.processTypes();
    const times: number[] = [];
    for (let i = 0; i < count + 5; i++) {
      const t0 = performance.now();
      const h = await client.submit('order', orderData(`lat-${i}`, 1));
      await h.pollUntilDone({ signal: AbortSignal.timeout(60_000) });
      // The first few warm up connections, token and JIT.
      if (i >= 5) times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return {
      processes: count,
      p50ms: round(percentile(times, 50)),
      p99ms: round(percentile(times, 99)),
      maxMs: round(times.at(-1) ?? Number.NaN),
    };
  } finally {
    await client.close();
  }
}

/** An in-process worker whose MongoDB client counts every command it sends. */
async function roundTrips(count: number) {
  const vhost = await createVhost('bench-rt');
  const mongo = mongoDatabase('bench_rt');
  const client = new MongoClient(mongo.url, { monitorCommands: true });
  const byName: Record<string, number> = {};
  client.on('commandStarted', (e) => {
    if (!['hello', 'isMaster', 'ping', 'endSessions', 'createIndexes'].includes(e.commandName))
      byName[e.commandName] = (byName[e.commandName] ?? 0) + 1;
  });
  await client.connect();
  const db = client.db(mongo.dbName);
  const seen = await completions(vhost.url);
  const server = createServer({
    amqpUrl: vhost.url,
    db,
    types: await resolveProcessTypes(['order'], undefined),
    logger: pino({ level: 'silent' }),
  });
  const conn = await connect(vhost.url);
  try {
    await server.start();
    for (const k of Object.keys(byName)) delete byName[k];
    const ch = await conn.createConfirmChannel();
    const ids = Array.from({ length: count }, () => randomUUID());
    await Promise.all(ids.map((id, i) => publish(ch, id, i)));
    // Watched through the state events, so that only the worker's commands are counted.
    while (seen.count(ids) < count) await sleep(50);
    const total = Object.values(byName).reduce((a, b) => a + b, 0);
    return { processes: count, commandsPerProcess: round(total / count), byCommand: { ...byName } };
  } finally {
    await server.close();
    await conn.close();
    await db.dropDatabase();
    await client.close();
    await seen.close();
    await vhost.close();
  }
}

const loadBefore = loadavg();
log(`load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`);
const rt = await roundTrips(200);
log(`store commands per process: ${rt.commandsPerProcess} ${JSON.stringify(rt.byCommand)}`);
const cfg = await exampleConfig({ raiseLimits: true });
for (const t of cfg.serverConfig.processTypes) if (t.name === 'order') t.concurrency = ORDER_CONCURRENCY;
const stack = await startStack({ ...cfg, gateways: 1, workers: WORKERS });
const seen = await completions(stack.amqpUrl);
const amqp = await connect(stack.amqpUrl);
let results: Record<string, unknown> = {};
try {
  const ch = await amqp.createConfirmChannel();
  const lat = await latency(stack, LATENCY_COUNT);
  log(`submit → SDK sees completed (idle, long-poll): p50 ${lat.p50ms} ms, p99 ${lat.p99ms} ms`);
  const b = await burst(stack, seen, ch, BURST);
  log(`burst of ${b.processes}: ${b.completedPerSecond} completed/s with ${b.workers} workers`);
  const p = await paced(seen, ch, RATE, PACED_SECONDS);
  log(
    `paced ${p.offeredPerSecond}/s for ${p.seconds} s: queue max ${p.maxQueueDepth}, drained ${p.drainSecondsAfterLastPublish} s after the last publish`,
  );
  results = {
    date: new Date().toISOString(),
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadavg(),
    storeRoundTrips: rt,
    latencyIdle: lat,
    orderConcurrencyPerWorker: ORDER_CONCURRENCY,
    burst: b,
    paced: p,
  };
} finally {
  await amqp.close().catch(() => undefined);
  await seen.close();
  await stack.close();
}
console.table({
  'store commands per process': {
    value: (results.storeRoundTrips as { commandsPerProcess: number }).commandsPerProcess,
  },
  'submit→completed p50 ms': { value: (results.latencyIdle as { p50ms: number }).p50ms },
  'submit→completed p99 ms': { value: (results.latencyIdle as { p99ms: number }).p99ms },
  'burst completed/s': { value: (results.burst as { completedPerSecond: number }).completedPerSecond },
  'paced drain s': {
    value: (results.paced as { drainSecondsAfterLastPublish: number }).drainSecondsAfterLastPublish,
  },
});
await mkdir(join(REPO_ROOT, 'bench'), { recursive: true });
await writeFile(join(REPO_ROOT, 'bench/private-side.json'), `${JSON.stringify(results, null, 2)}\n`);
