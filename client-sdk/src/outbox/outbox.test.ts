import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import {
  type ProcessStatusBody,
  type ProcessView,
  presentAccepted,
  presentStatus,
} from '@stargate/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, ProblemError, type StarGateClient } from '../index.js';
import { createFakeClock } from '../testing/fake-clock.js';
import { type RecordedRequest, type Reply, startTestGateway, tokenReply } from '../testing/test-gateway.js';

const toClose: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const c of toClose.splice(0).reverse()) await c.close();
});

/** A scripted gateway that remembers processes by idempotency key, like the real one. */
async function gateway(clock: { now(): number }) {
  const byKey = new Map<string, string>();
  const views = new Map<string, ProcessView>();
  let mode: 'up' | 'unavailable' | 'drop-after-accept' = 'up';
  const gw = await startTestGateway((req: RecordedRequest): Reply | 'drop' => {
    if (req.path === '/oauth/token') return tokenReply(1);
    if (req.path === '/api/stargate/process-types') return { status: 200, body: [] };
    if (req.method === 'POST' && req.path === '/api/stargate/processes') {
      if (mode === 'unavailable')
        return { status: 503, body: { error: 'SERVICE_UNAVAILABLE', status: 503, message: 'broker down' } };
      const body = req.body as { processType: string; data: { n?: number }; clientProcessId?: string };
      if (body.processType === 'bad')
        return { status: 400, body: { error: 'INVALID_REQUEST', status: 400, message: 'schema says no' } };
      const key = String(req.headers['idempotency-key']);
      let id = byKey.get(key);
      if (!id) {
        id = `p-${byKey.size + 1}`;
        byKey.set(key, id);
        views.set(id, {
          processId: id,
          processType: body.processType,
          status: 'processing',
          version: 1,
          createdAt: '2026-01-01T00:00:00.000Z',
          updatedAt: '2026-01-01T00:00:00.000Z',
          ...(body.clientProcessId ? { clientProcessId: body.clientProcessId } : {}),
        });
      }
      if (mode === 'drop-after-accept') {
        mode = 'up';
        return 'drop';
      }
      return {
        status: 202,
        body: presentAccepted({
          processId: id,
          processType: body.processType,
          clientProcessId: body.clientProcessId ?? '',
          createdAt: '2026-01-01T00:00:00.000Z',
        }),
      };
    }
    const m = /^\/api\/stargate\/processes\/([^/?]+)$/.exec(req.path);
    if (req.method === 'GET' && m) {
      const v = views.get(m[1]!);
      return v
        ? { status: 200, body: presentStatus(v) }
        : { status: 404, body: { error: 'NOT_FOUND', status: 404, message: 'no' } };
    }
    return { status: 404, body: {} };
  }, clock.now);
  return {
    gw,
    byKey,
    views,
    setMode(m: typeof mode) {
      mode = m;
    },
    complete(id: string, result: unknown) {
      const v = views.get(id)!;
      views.set(id, { ...v, status: 'completed', version: v.version + 1, result });
    },
    posts: () => gw.calls('POST', '/api/stargate/processes'),
  };
}

function newClient(url: string, dbPath: string, clock: ReturnType<typeof createFakeClock>): StarGateClient {
  const c = createClient({
    baseUrl: url,
    clientId: 'c',
    clientSecret: 's',
    databasePath: dbPath,
    clock,
    longPollSeconds: 0,
  });
  toClose.push(c);
  return c;
}

const dbFile = () => join(mkdtempSync(join(tmpdir(), 'sg-outbox-')), 'sdk.db');

describe('offline queue', () => {
  it('keeps submissions queued while the gateway is down and sends them in order, once, after a restart', async () => {
    const clock = createFakeClock(0);
    const g = await gateway(clock);
    toClose.push(g.gw);
    const db = dbFile();
    g.setMode('unavailable');
    const first = newClient(g.gw.url, db, clock);
    const offline: unknown[] = [];
    first.on('offline', (e) => offline.push(e));
    const handles = [];
    for (let i = 0; i < 5; i++)
      handles.push(await first.submit('order', { n: i }, { clientProcessId: `c-${i}` }));
    expect(handles.map((h) => h.status)).toEqual(['queued', 'queued', 'queued', 'queued', 'queued']);
    expect(handles.every((h) => h.processId === undefined)).toBe(true);
    expect(offline).toHaveLength(1);
    expect(first.queue().map((e) => e.clientProcessId)).toEqual(['c-0', 'c-1', 'c-2', 'c-3', 'c-4']);
    const saved = handles.map((h) => h.serialize());
    await first.close();

    g.setMode('up');
    const second = newClient(g.gw.url, db, clock);
    await clock.runUntil(() => second.queue().length === 0);
    const accepted = g.posts().filter((r) => (r.body as { processType: string }).processType === 'order');
    const sent = accepted.slice(-5).map((r) => (r.body as { clientProcessId: string }).clientProcessId);
    expect(sent).toEqual(['c-0', 'c-1', 'c-2', 'c-3', 'c-4']);
    expect(g.byKey.size).toBe(5);
    // Every resend carried the key stored before the first attempt.
    const keys = new Set(g.posts().map((r) => r.headers['idempotency-key']));
    expect(keys.size).toBe(5);
    const resumed = saved.map((s) => second.resume(s));
    expect(resumed.map((h) => h.processId)).toEqual(['p-1', 'p-2', 'p-3', 'p-4', 'p-5']);
  });

  it('flushes the queue by itself when the gateway comes back, backing off meanwhile', async () => {
    const clock = createFakeClock(0);
    const g = await gateway(clock);
    toClose.push(g.gw);
    g.setMode('unavailable');
    const client = newClient(g.gw.url, dbFile(), clock);
    const online: unknown[] = [];
    client.on('online', () => online.push(1));
    const h = await client.submit('order', { n: 1 });
    expect(h.status).toBe('queued');
    await clock.runUntil(() => g.posts().length >= 3);
    expect(g.posts().map((r) => r.at / 1000)).toEqual([0, 5, 15]);
    g.setMode('up');
    await clock.runUntil(() => h.processId !== undefined);
    expect(g.posts().map((r) => r.at / 1000)).toEqual([0, 5, 15, 35]);
    expect(online).toHaveLength(1);
  });

  it('pollUntilDone on a queued handle waits for acceptance, then for the result', async () => {
    const clock = createFakeClock(0);
    const g = await gateway(clock);
    toClose.push(g.gw);
    g.setMode('unavailable');
    const client = newClient(g.gw.url, dbFile(), clock);
    const h = await client.submit('order', { n: 1 });
    expect(h.status).toBe('queued');
    const done = h.pollUntilDone();
    await clock.runUntil(() => g.posts().length >= 3);
    g.setMode('up');
    await clock.runUntil(() => h.processId !== undefined);
    g.complete('p-1', { ok: true });
    await clock.runUntil(() => h.status === 'completed');
    expect((await done).result).toEqual({ ok: true });
  });

  it('raises an alert after 5 failed retries and keeps the submission queued', async () => {
    const clock = createFakeClock(0);
    const g = await gateway(clock);
    toClose.push(g.gw);
    g.setMode('unavailable');
    const client = newClient(g.gw.url, dbFile(), clock);
    const alerts: unknown[] = [];
    client.on('alert', (a) => alerts.push(a));
    await client.submit('order', {});
    await clock.runUntil(() => alerts.length > 0);
    expect(g.posts().map((r) => r.at / 1000)).toEqual([0, 5, 15, 35, 75, 155]);
    expect(alerts).toEqual([expect.objectContaining({ operation: 'send', retries: 5 })]);
    expect(client.queue()).toHaveLength(1);
  });

  it('surfaces a 4xx as a permanent failure without retrying it, and sends the next one', async () => {
    const clock = createFakeClock(0);
    const g = await gateway(clock);
    toClose.push(g.gw);
    const client = newClient(g.gw.url, dbFile(), clock);
    const err = await client.submit('bad', {}, { idempotencyKey: 'k-bad' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProblemError);
    expect((err as ProblemError).status).toBe(400);
    expect((err as ProblemError).code).toBe('INVALID_REQUEST');
    // Submitting the same key again reports the stored rejection without another send.
    await expect(client.submit('bad', {}, { idempotencyKey: 'k-bad' })).rejects.toMatchObject({
      status: 400,
    });
    const ok = await client.submit('order', {});
    expect(ok.processId).toBe('p-1');
    expect(g.posts()).toHaveLength(2);
    expect(client.queue()).toEqual([]);
  });

  it('a 202 lost with a dropped connection is resent with the same key and creates no duplicate', async () => {
    const clock = createFakeClock(0);
    const g = await gateway(clock);
    toClose.push(g.gw);
    const client = newClient(g.gw.url, dbFile(), clock);
    g.setMode('drop-after-accept');
    const h = await client.submit('order', { n: 1 });
    expect(h.status).toBe('queued');
    await clock.runUntil(() => h.processId !== undefined);
    expect(g.posts()).toHaveLength(2);
    expect(g.posts()[0]?.headers['idempotency-key']).toBe(g.posts()[1]?.headers['idempotency-key']);
    expect(g.byKey.size).toBe(1);
    expect(h.processId).toBe('p-1');
  });

  it('resumes polling of tracked processes after a restart and delivers the result once', async () => {
    const clock = createFakeClock(0);
    const g = await gateway(clock);
    toClose.push(g.gw);
    const db = dbFile();
    const first = newClient(g.gw.url, db, clock);
    const h = await first.submit('order', { n: 1 });
    expect(h.processId).toBe('p-1');
    await first.close();

    g.complete('p-1', { total: 42 });
    const second = newClient(g.gw.url, db, clock);
    const delivered: ProcessStatusBody[] = [];
    second.onCompleted('order', (v) => {
      delivered.push(v);
    });
    await clock.runUntil(() => delivered.length > 0);
    expect(delivered.map((v) => [v.processId, v.result])).toEqual([['p-1', { total: 42 }]]);
    expect(second.tracked()).toEqual([]);
    await second.close();

    // A third start finds nothing left to poll and nothing left to deliver.
    const third = newClient(g.gw.url, db, clock);
    const again: ProcessStatusBody[] = [];
    third.onCompleted('order', (v) => {
      again.push(v);
    });
    expect(third.tracked()).toEqual([]);
    expect(again).toEqual([]);
  });

  it('forgets finished work after the retention period, never queued or undelivered work', async () => {
    const clock = createFakeClock(0);
    const g = await gateway(clock);
    toClose.push(g.gw);
    const db = dbFile();
    const first = newClient(g.gw.url, db, clock);
    const seen: string[] = [];
    const off = first.onCompleted('order', (v) => {
      seen.push(v.processId);
    });
    await first.submit('order', { n: 1 });
    g.complete('p-1', { ok: 1 });
    await clock.runUntil(() => seen.length === 1);
    off();
    await first.submit('order', { n: 2 });
    g.complete('p-2', { ok: 2 });
    await clock.runUntil(() => first.tracked().length === 0);
    g.setMode('unavailable');
    await first.submit('order', { n: 3 });
    await first.close();

    clock.advance(8 * 86_400_000);
    const second = newClient(g.gw.url, db, clock);
    const delivered: string[] = [];
    second.onCompleted('order', (v) => {
      delivered.push(v.processId);
    });
    await clock.runUntil(() => delivered.length > 0);
    expect(delivered).toEqual(['p-2']);
    expect(second.queue()).toHaveLength(1);
    await second.close();
    const raw = new DatabaseSync(db);
    const ids = (sql: string) =>
      (raw.prepare(sql).all() as { process_id: string }[]).map((r) => r.process_id);
    expect(ids('SELECT process_id FROM results ORDER BY process_id')).toEqual(['p-2']);
    expect(ids('SELECT process_id FROM tracked ORDER BY process_id')).toEqual(['p-2']);
    raw.close();
  });

  it('queue purge drops what was never accepted', async () => {
    const clock = createFakeClock(0);
    const g = await gateway(clock);
    toClose.push(g.gw);
    g.setMode('unavailable');
    const client = newClient(g.gw.url, dbFile(), clock);
    await client.submit('order', {});
    await client.submit('order', {});
    expect(client.purgeQueue()).toBe(2);
    expect(client.queue()).toEqual([]);
  });
});
