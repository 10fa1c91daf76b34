import type { ConsumeMessage } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../server.js';
import { type GatewayDouble, gatewayDouble, quietLogger } from '../testing/gateway-double.js';
import { createMetrics } from './metrics.js';
import { observeQueueWait } from './queue-wait.js';

function message(timestamp: number | undefined, redelivered = false): ConsumeMessage {
  return {
    content: Buffer.from('{}'),
    fields: {
      deliveryTag: 1,
      redelivered,
      exchange: 'stargate.requests',
      routingKey: 'order',
      consumerTag: 'c',
    },
    properties: { timestamp, headers: {} },
  } as unknown as ConsumeMessage;
}

describe('server metrics', () => {
  it('measures how long a request waited in its queue, from the publish timestamp, first deliveries only', async () => {
    const metrics = createMetrics(async () => undefined, []);
    const now = Date.parse('2026-01-01T00:01:30Z');
    observeQueueWait(metrics, 'order', message(Date.parse('2026-01-01T00:00:00Z') / 1000), now);
    observeQueueWait(metrics, 'order', message(Date.parse('2026-01-01T00:00:00Z') / 1000, true), now);
    observeQueueWait(metrics, 'order', message(undefined), now);
    const text = await metrics.registry.metrics();
    expect(text).toContain('server_queue_wait_seconds_count{type="order"} 1');
    expect(text).toContain('server_queue_wait_seconds_sum{type="order"} 90');
    expect(text).toContain('server_queue_wait_seconds_bucket{le="60",type="order"} 0');
    expect(text).toContain('server_queue_wait_seconds_bucket{le="300",type="order"} 1');
  });

  describe('a running worker', () => {
    let gw: GatewayDouble;
    let server: RunningServer;
    beforeAll(async () => {
      gw = await gatewayDouble(['order']);
      server = await startServer({
        amqpUrl: gw.vhost.url,
        mongoUrl: gw.mongoUrl,
        dbName: gw.dbName,
        processTypes: ['order'],
        logger: quietLogger,
        healthPort: 0,
      });
    });
    afterAll(async () => {
      await server?.close();
      await gw?.close();
    });

    it('exports its MongoDB connection pool on /metrics', async () => {
      const text = await (await fetch(`http://127.0.0.1:${server.healthPort}/metrics`)).text();
      expect(text).toMatch(/^server_mongodb_pool_max_connections\{address="[^"]+"\} 100$/m);
      expect(text).toMatch(/^server_mongodb_pool_connections\{address="[^"]+"\} [1-9]/m);
      expect(text).toMatch(/^server_mongodb_pool_checked_out_connections\{address="[^"]+"\} \d+$/m);
      expect(text).toMatch(/^server_mongodb_pool_wait_queue_size\{address="[^"]+"\} \d+$/m);
    });
  });
});
