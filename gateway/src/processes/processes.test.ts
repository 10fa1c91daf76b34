import { randomUUID } from 'node:crypto';
import { eventually } from '@stargate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payloadHash } from '../idempotency/idempotency-store.js';
import { accessToken, startTestBed, submit, type TestBed } from '../testing/fixtures.js';

describe('gateway process API', () => {
  let bed: TestBed;
  let url: string;
  let token: string;

  beforeAll(async () => {
    bed = await startTestBed();
    url = bed.gw.url;
    token = await accessToken(url, 'alpha');
  });
  afterAll(async () => bed?.close());

  const auth = () => ({ authorization: `Bearer ${token}` });

  it('refuses non-JSON (415), oversized (413) and schema-invalid bodies (400 listing the failing paths)', async () => {
    const form = await fetch(`${url}/api/stargate/processes`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(form.status).toBe(415);
    expect(await form.json()).toMatchObject({ error: 'UNSUPPORTED_MEDIA_TYPE' });

    const big = await submit(url, token, {
      processType: 'order',
      data: { sku: 'x'.repeat(2000), quantity: 1 },
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: 'PAYLOAD_TOO_LARGE' });

    const invalid = await submit(url, token, {
      processType: 'order',
      data: { sku: '', quantity: 0, extra: 1 },
    });
    expect(invalid.status).toBe(400);
    const body = (await invalid.json()) as { error: string; errors: { path: string }[] };
    expect(body.error).toBe('INVALID_REQUEST');
    expect(body.errors.map((e) => e.path)).toEqual(
      expect.arrayContaining(['/data/sku', '/data/quantity', '/data']),
    );

    const shape = await submit(url, token, { data: {} });
    expect(shape.status).toBe(400);
    const broken = await fetch(`${url}/api/stargate/processes`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: '{"processType": ',
    });
    expect(broken.status).toBe(400);
    const text = JSON.stringify(await broken.json());
    expect(text).not.toMatch(/at .*\.(js|ts):\d+|127\.0\.0\.1|stack/);
    expect(bed.server.requests).toHaveLength(0);
  });

  it('answers a repeated idempotency key with the original answer, 422 for another payload, 409 while in flight', async () => {
    const key = randomUUID();
    const payload = { processType: 'order', data: { sku: 'I', quantity: 3 } };
    const first = await submit(url, token, payload, { 'idempotency-key': key });
    expect(first.status).toBe(202);
    const firstBody = (await first.json()) as { processId: string };
    const again = await submit(url, token, { ...payload, idempotencyKey: key });
    expect(again.status).toBe(202);
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(((await again.json()) as { processId: string }).processId).toBe(firstBody.processId);

    const other = await submit(
      url,
      token,
      { processType: 'order', data: { sku: 'I', quantity: 4 } },
      { 'idempotency-key': key },
    );
    expect(other.status).toBe(422);
    expect(await other.json()).toMatchObject({ error: 'IDEMPOTENCY_KEY_REUSED' });

    // Another tenant's identical key is a different key.
    const beta = await accessToken(url, 'beta');
    const betaRes = await submit(url, beta, payload, { 'idempotency-key': key });
    expect(betaRes.status).toBe(202);
    expect(((await betaRes.json()) as { processId: string }).processId).not.toBe(firstBody.processId);

    const busyKey = randomUUID();
    const busyPayload = { processType: 'order', clientProcessId: 'B-1', data: { sku: 'B', quantity: 1 } };
    const { redis, keys } = bed.gw.gateway.context;
    await redis.set(
      keys.idempotency('alpha', busyKey),
      JSON.stringify({
        state: 'in-flight',
        hash: payloadHash({ processType: 'order', clientProcessId: 'B-1', data: busyPayload.data }),
      }),
      'EX',
      60,
    );
    const busy = await submit(url, token, busyPayload, { 'idempotency-key': busyKey });
    expect(busy.status).toBe(409);
    expect(await busy.json()).toMatchObject({ error: 'IDEMPOTENCY_KEY_IN_USE' });
    await eventually(
      () => bed.server.requests.filter((r) => r.event.data.idempotencyKey === key).length === 2,
    );
  });

  it('names the same process when a key is resent after a publish whose confirm was lost', async () => {
    const key = randomUUID();
    const payload = { processType: 'order', clientProcessId: 'L-1', data: { sku: 'L', quantity: 1 } };
    const first = await submit(url, token, payload, { 'idempotency-key': key });
    expect(first.status).toBe(202);
    const { processId } = (await first.json()) as { processId: string };
    expect(processId).toMatch(/^PROC-\d{8}-\d{5,}$/);
    // What a 503 after an ambiguous publish leaves behind: the key reopened with its process id,
    // the message maybe queued.
    await bed.gw.gateway.context.idempotency.reopen(
      'alpha',
      key,
      payloadHash({ processType: 'order', clientProcessId: 'L-1', data: payload.data }),
      processId,
    );
    const resent = await submit(url, token, payload, { 'idempotency-key': key });
    expect(resent.status).toBe(202);
    expect(((await resent.json()) as { processId: string }).processId).toBe(processId);
    // The server receives one process twice (a redelivery it deduplicates), never two processes.
    await eventually(
      () => bed.server.requests.filter((r) => r.event.data.idempotencyKey === key).length === 2,
    );
    expect(
      new Set(
        bed.server.requests
          .filter((r) => r.event.data.idempotencyKey === key)
          .map((r) => r.event.data.processId),
      ),
    ).toEqual(new Set([processId]));
  });

  it('answers a URL that cannot be decoded with problem+json, not a bare framework error', async () => {
    const res = await fetch(`${url}/api/stargate/processes/%ZZ`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.json()).toMatchObject({ error: 'INVALID_REQUEST', status: 400 });
  });

  it('falls back to the server when Redis has no state, and supports ETag / If-None-Match', async () => {
    const id = randomUUID();
    const now = new Date().toISOString();
    bed.server.processes.set(id, {
      processId: id,
      tenantId: 'alpha',
      processType: 'order',
      status: 'failed',
      version: 4,
      createdAt: now,
      updatedAt: now,
      error: { code: 'OUT_OF_STOCK', message: 'none left', retryable: true },
    });
    const res = await fetch(`${url}/api/stargate/processes/${id}`, { headers: auth() });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: 'failed',
      error: { code: 'OUT_OF_STOCK', retryable: true },
    });
    expect(bed.server.rpcCalls).toContainEqual({ kind: 'get-process', tenantId: 'alpha', processId: id });
    const etag = res.headers.get('etag')!;
    // Re-cached: the second read does not ask the server.
    const calls = bed.server.rpcCalls.length;
    const cached = await eventually(async () => {
      const r = await fetch(`${url}/api/stargate/processes/${id}`, {
        headers: { ...auth(), 'if-none-match': etag },
      });
      return r.status === 304 && bed.server.rpcCalls.length === calls ? r : undefined;
    });
    expect(cached.status).toBe(304);

    const retry = await fetch(`${url}/api/stargate/processes/${id}/retry`, {
      method: 'POST',
      headers: auth(),
    });
    expect(retry.status).toBe(202);
    const cmd = await eventually(() => bed.server.commands.find((c) => c.routingKey === `retry.${id}`));
    expect(cmd.body).toMatchObject({ data: { processId: id, tenantId: 'alpha', command: 'retry' } });
    const cancel = await fetch(`${url}/api/stargate/processes/${id}/cancel`, {
      method: 'POST',
      headers: auth(),
    });
    expect(cancel.status).toBe(409);
    expect(await cancel.json()).toMatchObject({ error: 'INVALID_STATE' });
  });

  it("lists the caller's processes through the server, filtered", async () => {
    const res = await fetch(`${url}/api/stargate/processes?status=failed&limit=5`, { headers: auth() });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: { status: string; statusUrl: string }[] };
    expect(body.items.length).toBeGreaterThan(0);
    expect(
      body.items.every((p) => p.status === 'failed' && p.statusUrl.startsWith('/api/stargate/processes/')),
    ).toBe(true);
    expect(bed.server.rpcCalls).toContainEqual({
      kind: 'list-processes',
      tenantId: 'alpha',
      status: 'failed',
      limit: 5,
    });
    expect((await fetch(`${url}/api/stargate/processes?limit=500`, { headers: auth() })).status).toBe(400);
  });

  it('lists usable process types with schemas and polling hints, and documents them in OpenAPI', async () => {
    const res = await fetch(`${url}/api/stargate/process-types`, { headers: auth() });
    const body = (await res.json()) as { items: { name: string; operations: string[]; polling: unknown }[] };
    expect(body.items.map((t) => [t.name, t.operations])).toEqual([
      ['order', ['submit', 'read', 'cancel']],
      ['shipment', ['read']],
    ]);
    const doc = (await (await fetch(`${url}/openapi.json`, { headers: auth() })).json()) as {
      openapi: string;
      servers: { url: string }[];
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url }]);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/stargate/processes', '/api/stargate/processes/{id}']),
    );
    expect(doc.components.schemas['order.request']).toMatchObject({ required: ['sku', 'quantity'] });
  });

  it('audits every request to the server tier', async () => {
    const { connect } = await import('amqplib');
    const { QUEUES } = await import('@stargate/contracts');
    const conn = await connect(bed.vhost.url);
    const ch = await conn.createChannel();
    const records: {
      action: string;
      outcome: string;
      tenantId?: string;
      correlationId: string;
      status: number;
    }[] = [];
    await eventually(async () => {
      for (;;) {
        const msg = await ch.get(QUEUES.audit, { noAck: true });
        if (!msg) break;
        // One message per batch of records.
        records.push(
          ...(JSON.parse(msg.content.toString()) as { data: { records: typeof records } }).data.records,
        );
      }
      return records.some((r) => r.action === 'submit' && r.status === 415);
    });
    await conn.close();
    expect(records).toContainEqual(
      expect.objectContaining({ action: 'submit', outcome: 'error', status: 415, tenantId: 'alpha' }),
    );
    expect(records).toContainEqual(
      expect.objectContaining({ action: 'token', outcome: 'success', status: 200 }),
    );
    expect(records.every((r) => typeof r.correlationId === 'string')).toBe(true);
  });

  it('exposes health and metrics', async () => {
    expect((await fetch(`${url}/health/live`)).status).toBe(200);
    expect((await fetch(`${url}/health/startup`)).status).toBe(200);
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    for (const name of [
      'gateway_requests_total{route="/api/stargate/processes",method="POST",status="202",tenant=',
      'gateway_request_duration_seconds_bucket',
      'gateway_publish_duration_seconds_bucket',
      'gateway_config_reloads_total{result="applied"} 1',
    ]) {
      expect(metrics).toContain(name);
    }
  });
});
