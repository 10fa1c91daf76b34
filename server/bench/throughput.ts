/**
 * Throughput and latency of one in-process worker on the development services:
 * N `order` requests published at once, time until all are completed in MongoDB.
 *   node --experimental-transform-types --conditions=stargate-source \
 *     --import ./server/src/testing/register.mjs server/bench/throughput.ts [N] [concurrency]
 */
import { ORDER_REQUEST_SCHEMA, ORDER_RESULT_SCHEMA } from '../src/handlers/schemas.js';
import { startServer } from '../src/server.js';
import { gatewayDouble, quietLogger } from '../src/testing/gateway-double.js';

const n = Number(process.argv[2] ?? 500);
const concurrency = Number(process.argv[3] ?? 16);

const gw = await gatewayDouble(['order']);
const server = await startServer({
  amqpUrl: gw.vhost.url,
  mongoUrl: gw.mongoUrl,
  dbName: gw.dbName,
  processTypes: ['order'],
  serverConfig: {
    processTypes: [
      {
        name: 'order',
        handler: { builtin: 'order' },
        concurrency,
        timeoutSeconds: 30,
        retry: { maxAttempts: 3, initialBackoffSeconds: 1, maxBackoffSeconds: 10 },
        requestSchema: ORDER_REQUEST_SCHEMA,
        resultSchema: ORDER_RESULT_SCHEMA,
      },
    ],
  },
  logger: quietLogger,
});
try {
  const started = Date.now();
  for (let i = 0; i < n; i++) {
    await gw.submit('order', {
      orderId: `B-${i}`,
      customerId: 'bench',
      items: [{ sku: 'SKU', quantity: 1, unitPrice: 1 }],
    });
  }
  const published = Date.now();
  const processes = gw.db.collection('processes');
  while ((await processes.countDocuments({ status: 'completed' })) < n) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const done = Date.now();
  const latencies = (await processes.find({}, { projection: { createdAt: 1, completedAt: 1 } }).toArray())
    .map((d) => (d.completedAt as Date).getTime() - (d.createdAt as Date).getTime())
    .sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  const events = await gw.db.collection('process_events').countDocuments({});
  console.log(
    JSON.stringify({
      requests: n,
      concurrency,
      publishSeconds: (published - started) / 1000,
      totalSeconds: (done - started) / 1000,
      processesPerSecond: Math.round((n / ((done - started) / 1000)) * 10) / 10,
      latencyMs: { p50: pct(50), p95: pct(95), max: latencies.at(-1) },
      eventsPerProcess: events / n,
    }),
  );
} finally {
  await server.close();
  await gw.close();
}
