import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Meter } from '@opentelemetry/api';
import { type ProcessStatusBody, type ProcessView, presentStatus } from '@stargate/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type StarGateClient, type WarningEvent } from '../index.js';
import type { Logger } from '../logger.js';
import { createFakeClock, type FakeClock } from '../testing/fake-clock.js';
import {
  type Reply,
  type RecordedRequest,
  startTestGateway,
  type TestGateway,
  tokenReply,
} from '../testing/test-gateway.js';

const PID = 'p-1';

function view(
  status: ProcessStatusBody['status'],
  version: number,
  extra: Partial<ProcessView> = {},
): ProcessStatusBody {
  return presentStatus({
    processId: PID,
    processType: 'order',
    status,
    version,
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
    ...extra,
  });
}

function recordingLogger() {
  const lines: { level: string; obj: Record<string, unknown>; msg?: string }[] = [];
  const at = (level: string) => (obj: Record<string, unknown>, msg?: string) =>
    lines.push({ level, obj, msg });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines };
}

interface Harness {
  clock: FakeClock;
  gw: TestGateway;
  client: StarGateClient;
  logs: ReturnType<typeof recordingLogger>['lines'];
  polls(): RecordedRequest[];
}

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

/** A client on a fake clock against a scripted gateway; `onPoll` answers status polls. */
async function harness(
  onPoll: (req: RecordedRequest, n: number) => Reply,
  opts: { types?: unknown[]; longPollSeconds?: number; meter?: Meter } = {},
): Promise<Harness> {
  const clock = createFakeClock(1_000_000);
  let pollCount = 0;
  const gw = await startTestGateway((req) => {
    if (req.path === '/oauth/token') return tokenReply(1, 100_000);
    if (req.path === '/api/stargate/process-types') return { status: 200, body: opts.types ?? [] };
    if (req.method === 'POST' && req.path === '/api/stargate/processes')
      return {
        status: 202,
        body: { processId: PID, processType: 'order', status: 'accepted', statusUrl: '/x', createdAt: 'now' },
      };
    if (req.method === 'GET' && req.path === `/api/stargate/processes/${PID}`)
      return onPoll(req, ++pollCount);
    return { status: 404, body: {} };
  }, clock.now);
  const { logger, lines } = recordingLogger();
  const dir = mkdtempSync(join(tmpdir(), 'sg-sdk-'));
  const client = createClient({
    baseUrl: gw.url,
    clientId: 'c',
    clientSecret: 's',
    databasePath: join(dir, 'sdk.db'),
    clock,
    logger,
    longPollSeconds: opts.longPollSeconds ?? 0,
    ...(opts.meter ? { meter: opts.meter } : {}),
  });
  open.push(gw, client);
  return { clock, gw, client, logs: lines, polls: () => gw.calls('GET', `/api/stargate/processes/${PID}`) };
}

const seconds = (h: Harness, start: number) => h.polls().map((r) => (r.at - start) / 1000);

describe('polling schedule (fake clock)', () => {
  it('polls at once, every 30 s for 2 minutes, then every 60 s; warns once after 10 minutes and keeps polling', async () => {
    const h = await harness((req) =>
      req.at - 1_000_000 >= 660_000
        ? { status: 200, body: view('completed', 3, { result: { ok: true } }) }
        : { status: 200, body: view('processing', 1) },
    );
    const warnings: WarningEvent[] = [];
    h.client.on('warning', (w) => warnings.push(w));
    const handle = await h.client.submit('order', { n: 1 });
    const done = handle.pollUntilDone();
    await h.clock.runUntil(() => h.polls().some((r) => r.at - 1_000_000 >= 660_000));
    const final = await done;

    expect(final.status).toBe('completed');
    expect(final.result).toEqual({ ok: true });
    expect(seconds(h, 1_000_000)).toEqual([0, 30, 60, 90, 120, 180, 240, 300, 360, 420, 480, 540, 600, 660]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ processId: PID, elapsedMs: 600_000 });
    expect(h.logs.filter((l) => l.obj.event === 'poll.timeout')).toHaveLength(1);
    const changes = h.logs
      .filter((l) => l.obj.event === 'poll.interval')
      .map((l) => [l.obj.from, l.obj.to, l.obj.delayMs]);
    expect(changes).toEqual([
      ['start', 'fast', 30_000],
      ['fast', 'slow', 60_000],
    ]);
    expect(handle.status).toBe('completed');
  });

  it('uses the polling hints of the process type from /process-types', async () => {
    const polling = {
      firstPollSeconds: 2,
      fastIntervalSeconds: 5,
      fastPhaseSeconds: 10,
      slowIntervalSeconds: 20,
      maxTimeoutSeconds: 30,
    };
    const h = await harness(
      (req) =>
        req.at - 1_000_000 >= 52_000
          ? { status: 200, body: view('completed', 2) }
          : { status: 200, body: view('processing', 1) },
      {
        types: [{ name: 'order', operations: ['submit'], requestSchema: {}, polling, maxPayloadBytes: 1000 }],
      },
    );
    const warnings: WarningEvent[] = [];
    h.client.on('warning', (w) => warnings.push(w));
    const handle = await h.client.submit('order', {});
    const done = handle.pollUntilDone();
    await h.clock.runUntil(() => h.polls().length >= 5);
    await done;
    expect(seconds(h, 1_000_000)).toEqual([2, 7, 12, 32, 52]);
    expect(warnings.map((w) => w.elapsedMs)).toEqual([32_000]);
  });

  it('lets a Retry-After on a status answer override the interval', async () => {
    const h = await harness((_req, n) =>
      n >= 3
        ? { status: 200, body: view('completed', 2) }
        : { status: 200, headers: { 'retry-after': '7' }, body: view('processing', 1) },
    );
    const done = (await h.client.submit('order', {})).pollUntilDone();
    await h.clock.runUntil(() => h.polls().length >= 3);
    await done;
    expect(seconds(h, 1_000_000)).toEqual([0, 7, 14]);
  });

  it('reports progress once per new version', async () => {
    const h = await harness((_req, n) => {
      if (n >= 4) return { status: 200, body: view('completed', 3) };
      if (n >= 2) return { status: 200, body: view('processing', 2, { progress: { percent: 50 } }) };
      return { status: 200, body: view('processing', 1, { progress: { percent: 10 } }) };
    });
    const seen: number[] = [];
    const done = (await h.client.submit('order', {})).pollUntilDone({
      onProgress: (v) => seen.push(v.progress),
    });
    await h.clock.runUntil(() => h.polls().length >= 4);
    await done;
    expect(seen).toEqual([10, 50]);
  });

  it('long-polls with Prefer: wait when the gateway applies it, without waiting for the schedule', async () => {
    const h = await harness(
      (_req, n): Reply =>
        n >= 3
          ? { status: 200, headers: { 'preference-applied': 'wait=20' }, body: view('completed', 3) }
          : {
              status: 200,
              headers: { 'preference-applied': 'wait=20', etag: `"v${n}"`, 'retry-after': '30' },
              body: view('processing', n),
            },
      { longPollSeconds: 20 },
    );
    const final = await (await h.client.submit('order', {})).pollUntilDone();
    expect(final.status).toBe('completed');
    expect(seconds(h, 1_000_000)).toEqual([0, 0, 0]);
    expect(h.polls().map((r) => r.headers.prefer)).toEqual(['wait=20', 'wait=20', 'wait=20']);
    expect(h.polls()[2]?.headers['if-none-match']).toBe('"v2"');
  });

  it('falls back to the schedule when the gateway ignores Prefer: wait', async () => {
    const h = await harness(
      (_req, n) =>
        n >= 3 ? { status: 200, body: view('completed', 2) } : { status: 200, body: view('processing', 1) },
      {
        longPollSeconds: 20,
      },
    );
    const done = (await h.client.submit('order', {})).pollUntilDone();
    await h.clock.runUntil(() => h.polls().length >= 3);
    await done;
    expect(seconds(h, 1_000_000)).toEqual([0, 30, 60]);
  });
});

describe('backoff on transient failures (fake clock)', () => {
  it('backs off 5, 10, 20, 40, 80 s, raises one alert after 5 retries and keeps polling', async () => {
    const h = await harness((_req, n) => {
      if (n === 1) return { status: 200, body: view('processing', 1) };
      if (n <= 8)
        return { status: 503, body: { error: 'SERVICE_UNAVAILABLE', status: 503, message: 'down' } };
      return { status: 200, body: view('completed', 2) };
    });
    const alerts: unknown[] = [];
    const offline: unknown[] = [];
    h.client.on('alert', (a) => alerts.push(a));
    h.client.on('offline', (e) => offline.push(e));
    const done = (await h.client.submit('order', {})).pollUntilDone();
    await h.clock.runUntil(() => h.polls().length >= 9);
    await done;
    // poll at 0 ok; 30 fails; then 5, 10, 20, 40, 80 s (alert), 80 s again; then success.
    expect(seconds(h, 1_000_000)).toEqual([0, 30, 35, 45, 65, 105, 185, 265, 345]);
    expect(alerts).toEqual([expect.objectContaining({ operation: 'poll', processId: PID, retries: 5 })]);
    expect(offline).toHaveLength(1);
    expect(h.client.tracked()).toEqual([]);
  });

  it('honours Retry-After on 429', async () => {
    const h = await harness((_req, n) => {
      if (n === 1)
        return {
          status: 429,
          headers: { 'retry-after': '12' },
          body: { error: 'RATE_LIMIT_EXCEEDED', status: 429, message: 'slow down' },
        };
      return { status: 200, body: view('completed', 2) };
    });
    const done = (await h.client.submit('order', {})).pollUntilDone();
    await h.clock.runUntil(() => h.polls().length >= 2);
    await done;
    expect(seconds(h, 1_000_000)).toEqual([0, 12]);
  });

  it('treats network errors and timeouts as transient', async () => {
    const h = await harness(
      (_req, n) => (n === 1 ? 'drop' : { status: 200, body: view('completed', 2) }) as Reply,
    );
    const done = (await h.client.submit('order', {})).pollUntilDone();
    await h.clock.runUntil(() => h.polls().length >= 2);
    await done;
    expect(seconds(h, 1_000_000)).toEqual([0, 5]);
  });
});

/** Records what the SDK reports through the OpenTelemetry metrics API (the host's exporter sees the same). */
function recordingMeter() {
  const points: { name: string; value: number; attrs: Record<string, unknown> }[] = [];
  const instrument = (name: string) => ({
    add: (value: number, attrs: Record<string, unknown> = {}) => points.push({ name, value, attrs }),
    record: (value: number, attrs: Record<string, unknown> = {}) => points.push({ name, value, attrs }),
  });
  const meter = { createCounter: instrument, createHistogram: instrument } as unknown as Meter;
  const sum = (name: string, filter: (a: Record<string, unknown>) => boolean = () => true) =>
    points.filter((p) => p.name === name && filter(p.attrs)).reduce((n, p) => n + p.value, 0);
  return { meter, points, sum };
}

describe('polling extras', () => {
  it('reports polls, time per phase, failures, timeouts and polls per process as metrics', async () => {
    const m = recordingMeter();
    const h = await harness(
      (req, n) => {
        if (n === 2)
          return { status: 503, body: { error: 'SERVICE_UNAVAILABLE', status: 503, message: 'x' } };
        return req.at - 1_000_000 >= 185_000
          ? { status: 200, body: view('completed', 2) }
          : { status: 200, body: view('processing', 1) };
      },
      {
        meter: m.meter,
        types: [{ name: 'order', operations: [], requestSchema: {}, polling: { maxTimeoutSeconds: 150 } }],
      },
    );
    const done = (await h.client.submit('order', {})).pollUntilDone();
    await h.clock.runUntil(() => h.polls().some((r) => r.at - 1_000_000 >= 185_000));
    await done;
    // polls at 0, 30 (503), 35, 65, 95, 125, 185
    expect(seconds(h, 1_000_000)).toEqual([0, 30, 35, 65, 95, 125, 185]);
    expect(m.sum('stargate.client.polls')).toBe(7);
    expect(m.sum('stargate.client.poll.failures')).toBe(1);
    expect(m.sum('stargate.client.poll.timeouts')).toBe(1);
    expect(
      m.points.filter((p) => p.name === 'stargate.client.polls_per_process').map((p) => p.value),
    ).toEqual([7]);
    expect(m.sum('stargate.client.poll.phase_time', (a) => a.phase === 'fast')).toBe(30 + 30 + 30 + 30);
    expect(m.sum('stargate.client.poll.phase_time', (a) => a.phase === 'backoff')).toBe(5);
    expect(m.sum('stargate.client.poll.phase_time', (a) => a.phase === 'slow')).toBe(60);
    expect(m.sum('stargate.client.submissions', (a) => a.outcome === 'accepted')).toBe(1);
  });

  it('pauses 1 s after an unchanged long poll (304) instead of spinning', async () => {
    const h = await harness(
      (_req, n): Reply => {
        if (n === 1)
          return {
            status: 200,
            headers: { 'preference-applied': 'wait=20', etag: '"1"' },
            body: view('processing', 1),
          };
        if (n <= 3) return { status: 304, headers: { 'preference-applied': 'wait=20', etag: '"1"' } };
        return { status: 200, headers: { 'preference-applied': 'wait=20' }, body: view('completed', 2) };
      },
      { longPollSeconds: 20 },
    );
    const done = (await h.client.submit('order', {})).pollUntilDone();
    await h.clock.runUntil(() => h.polls().length >= 4);
    expect((await done).status).toBe('completed');
    expect(seconds(h, 1_000_000)).toEqual([0, 0, 1, 2]);
    expect(
      h
        .polls()
        .slice(1)
        .map((r) => r.headers['if-none-match']),
    ).toEqual(['"1"', '"1"', '"1"']);
  });

  it('an aborted pollUntilDone leaves the process tracked and polled in the background', async () => {
    const h = await harness((_req, n) =>
      n >= 3 ? { status: 200, body: view('completed', 2) } : { status: 200, body: view('processing', 1) },
    );
    const completed: ProcessStatusBody[] = [];
    h.client.on('completed', (v) => completed.push(v));
    const handle = await h.client.submit('order', {});
    const stop = new AbortController();
    const waiting = handle.pollUntilDone({ signal: stop.signal });
    await h.clock.runUntil(() => h.polls().length >= 1);
    stop.abort(new Error('caller gave up'));
    await expect(waiting).rejects.toThrow('caller gave up');
    expect(h.client.tracked().map((t) => t.processId)).toEqual([PID]);
    await h.clock.runUntil(() => completed.length > 0);
    expect(h.client.tracked()).toEqual([]);
    expect(handle.status).toBe('completed');
  });
});
