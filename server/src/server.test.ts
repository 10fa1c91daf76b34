import { eventually } from '@stargate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineHandler } from './handlers/define-handler.js';
import { type RunningServer, startServer } from './server.js';
import { type GatewayDouble, gatewayDouble, quietLogger } from './testing/gateway-double.js';

const order = (quantity = 2, extra: Record<string, unknown> = {}) => ({
  orderId: 'PO-1',
  customerId: 'C-9',
  items: [{ sku: 'SKU-1', quantity, unitPrice: 12.5 }],
  ...extra,
});

const shipment = (country = 'DE') => ({
  shipmentId: 'S-1',
  orderId: 'PO-1',
  weightKg: 2,
  address: { name: 'Ada', street: 'Main 1', city: 'Berlin', postalCode: '10115', country },
});

describe('server worker (built-in handlers, real RabbitMQ + MongoDB-wire)', () => {
  let gw: GatewayDouble;
  let server: RunningServer;

  beforeAll(async () => {
    gw = await gatewayDouble(['order', 'shipping', 'sloppy']);
    server = await startServer({
      amqpUrl: gw.vhost.url,
      mongoUrl: gw.mongoUrl,
      dbName: gw.dbName,
      processTypes: ['order', 'shipping', 'sloppy'],
      serverConfig: {
        processTypes: [
          {
            name: 'sloppy',
            handler: { module: 'in-process' },
            concurrency: 1,
            timeoutSeconds: 5,
            retry: { maxAttempts: 1, initialBackoffSeconds: 1, maxBackoffSeconds: 1 },
            requestSchema: { type: 'object' },
            resultSchema: { type: 'object', required: ['total'], properties: { total: { type: 'number' } } },
          },
        ],
      },
      // A custom handler whose result breaks its schema.
      handlers: [defineHandler({ type: 'sloppy', handle: async () => ({ total: 'lots' }) })],
      logger: quietLogger,
      healthPort: 0,
    });
  });
  afterAll(async () => {
    await server?.close();
    await gw?.close();
  });

  it('completes an order: record, event log and published states', async () => {
    const id = await gw.submit('order', order());
    const doc = await gw.waitFor(id, 'completed');
    expect(doc.result).toMatchObject({ orderId: 'PO-1', status: 'confirmed', totalAmount: 25, itemCount: 1 });
    const events = await gw.events(id);
    // A handler that finishes within the progress interval: its reports go with the final write.
    expect(events.map((e) => e.status)).toEqual(['processing', 'completed']);
    expect(events.map((e) => e.version)).toEqual([1, 2]);
    expect(events[0]?.correlationId).toBe(`corr-${id}`);
    const published = await eventually(() => {
      const mine = gw.states.filter((s) => s.processId === id);
      return mine.at(-1)?.status === 'completed' ? mine : undefined;
    });
    expect(published.at(-1)).toMatchObject({ tenantId: 'acme', version: 2, result: { status: 'confirmed' } });
  });

  it('completes a shipment', async () => {
    const id = await gw.submit('shipping', shipment());
    const doc = await gw.waitFor(id, 'completed');
    expect(doc.result).toMatchObject({ shipmentId: 'S-1', status: 'booked', carrier: 'DHL' });
  });

  it('fails an order with INVENTORY_INSUFFICIENT and its details', async () => {
    const id = await gw.submit('order', order(150));
    const doc = await gw.waitFor(id, 'failed');
    expect(doc.error).toEqual({
      code: 'INVENTORY_INSUFFICIENT',
      message: 'not enough stock of SKU-1',
      details: { sku: 'SKU-1', requested: 150, available: 100 },
      retryable: false,
    });
  });

  it('fails a request that does not match the schema with INVALID_REQUEST', async () => {
    const id = await gw.submit('order', { orderId: 'x' });
    const doc = await gw.waitFor(id, 'failed');
    expect(doc.error?.code).toBe('INVALID_REQUEST');
  });

  it('fails a result that does not match the result schema with RESULT_INVALID', async () => {
    const id = await gw.submit('sloppy', {});
    const doc = await gw.waitFor(id, 'failed');
    expect(doc.error).toMatchObject({ code: 'RESULT_INVALID', retryable: false });
    expect(doc.result).toBeUndefined();
  });

  it('refuses a second process with an idempotency key the tenant already used', async () => {
    const first = await gw.submit('order', order(), { idempotencyKey: 'idem-1' });
    await gw.waitFor(first, 'completed');
    const second = await gw.submit('order', order(), { idempotencyKey: 'idem-1' });
    const state = await eventually(() => gw.states.find((s) => s.processId === second));
    expect(state).toMatchObject({ status: 'failed', error: { code: 'DUPLICATE_IDEMPOTENCY_KEY' } });
    expect(await gw.process(second)).toBeNull();
    // Another tenant may use the same key.
    const other = await gw.submit('order', order(), { idempotencyKey: 'idem-1', tenantId: 'globex' });
    await gw.waitFor(other, 'completed');
  });

  it('answers status and list queries scoped to the tenant', async () => {
    const id = await gw.submit('shipping', shipment());
    await gw.waitFor(id, 'completed');
    const mine = (await gw.rpc({ kind: 'get-process', tenantId: 'acme', processId: id })) as {
      ok: boolean;
      process: { status: string } | null;
    };
    expect(mine).toMatchObject({ ok: true, process: { status: 'completed' } });
    const other = await gw.rpc({ kind: 'get-process', tenantId: 'globex', processId: id });
    expect(other).toEqual({ ok: true, kind: 'get-process', process: null });
    const page = (await gw.rpc({
      kind: 'list-processes',
      tenantId: 'acme',
      processType: 'shipping',
      limit: 1,
    })) as {
      page: { items: unknown[]; nextCursor?: string };
    };
    expect(page.page.items).toHaveLength(1);
    expect(page.page.nextCursor).toBeDefined();
    const next = (await gw.rpc({
      kind: 'list-processes',
      tenantId: 'acme',
      processType: 'shipping',
      limit: 1,
      cursor: page.page.nextCursor,
    })) as { page: { items: { processId: string }[] } };
    expect(next.page.items).toHaveLength(1);
    expect(next.page.items[0]?.processId).not.toBe((page.page.items[0] as { processId: string }).processId);
    const bad = await gw.rpc({ kind: 'list-processes', tenantId: 'acme', limit: 1, cursor: 'garbage' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    const empty = (await gw.rpc({ kind: 'list-processes', tenantId: 'initech', limit: 10 })) as {
      page: { items: unknown[] };
    };
    expect(empty.page.items).toEqual([]);
  });

  it('continues the trace of the request on the state events', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const id = await gw.submit('order', order(), {}, { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    await gw.waitFor(id, 'completed');
    const headers = await eventually(() => {
      const i = gw.states.findIndex((s) => s.processId === id && s.status === 'completed');
      return i >= 0 ? gw.stateHeaders[i] : undefined;
    });
    expect(headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(headers['x-correlation-id']).toBe(`corr-${id}`);
    expect(headers['tenant-id']).toBe('acme');
  });

  it('serves health and metrics', async () => {
    const ready = await fetch(`http://127.0.0.1:${server.healthPort}/health/ready`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${server.healthPort}/metrics`)).text();
    expect(metrics).toMatch(/server_processes_total\{type="order",outcome="completed"\} \d/);
    expect(metrics).toContain('server_queue_lag_messages{type="order"}');
  });
});
