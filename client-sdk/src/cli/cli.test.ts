import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ProcessStatus, type ProcessView, presentStatus } from '@stargate/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type RecordedRequest,
  type Reply,
  startTestGateway,
  type TestGateway,
  tokenReply,
} from '../testing/test-gateway.js';
import { EXIT, runCli } from './run.js';

const toClose: TestGateway[] = [];
afterEach(async () => {
  for (const g of toClose.splice(0)) await g.close();
});

const view = (status: ProcessStatus, version: number, extra: Partial<ProcessView> = {}) =>
  presentStatus({
    processId: 'p-1',
    processType: 'order',
    status,
    version,
    createdAt: '2026-01-14T12:48:00.000Z',
    updatedAt: '2026-01-14T12:49:00.000Z',
    ...extra,
  });

/** A gateway whose processes finish on the second (long) poll with `final`. */
async function gateway(final: Record<string, unknown> = view('completed', 2, { result: { ok: 1 } })) {
  let polls = 0;
  const gw = await startTestGateway((req: RecordedRequest): Reply => {
    if (req.path === '/oauth/token') return tokenReply(1);
    if (req.path === '/api/stargate/process-types')
      return { status: 200, body: [{ name: 'order', operations: ['submit', 'read'], requestSchema: {} }] };
    if (req.method === 'POST' && req.path === '/api/stargate/processes') {
      if ((req.body as { processType: string }).processType === 'bad')
        return { status: 400, body: { error: 'INVALID_REQUEST', status: 400, message: 'schema says no' } };
      return {
        status: 202,
        body: { processId: 'p-1', processType: 'order', status: 'accepted', statusUrl: '/x', createdAt: 'a' },
      };
    }
    if (req.method === 'GET' && req.path.startsWith('/api/stargate/processes/p-1')) {
      polls += 1;
      return {
        status: 200,
        headers: { 'preference-applied': 'wait=5' },
        body: polls >= 2 ? final : view('processing', 1),
      };
    }
    return { status: 404, body: { error: 'NOT_FOUND', status: 404, message: 'no' } };
  });
  toClose.push(gw);
  return gw;
}

function io(env: Record<string, string>) {
  let out = '';
  let err = '';
  return {
    io: {
      env: { HOME: mkdtempSync(join(tmpdir(), 'sg-cli-home-')), ...env },
      stdout: { write: (s: string) => (out += s), isTTY: false },
      stderr: { write: (s: string) => (err += s), isTTY: false },
      clientOverrides: { longPollSeconds: 5 },
    },
    out: () => out,
    err: () => err,
  };
}

function envFor(gw: TestGateway) {
  return {
    STARGATE_URL: gw.url,
    STARGATE_CLIENT_ID: 'cli',
    STARGATE_CLIENT_SECRET: 'secret',
    STARGATE_DB: join(mkdtempSync(join(tmpdir(), 'sg-cli-')), 'client.db'),
  };
}

describe('stargate CLI', () => {
  it('submit --data @file --wait prints the completed process as JSON and exits 0', async () => {
    const gw = await gateway();
    const file = join(mkdtempSync(join(tmpdir(), 'sg-cli-data-')), 'order.json');
    writeFileSync(file, JSON.stringify({ orderId: 'PO-1' }));
    const t = io(envFor(gw));
    const code = await runCli(['submit', 'order', '--data', `@${file}`, '--wait'], t.io);
    expect(code).toBe(EXIT.ok);
    expect(JSON.parse(t.out())).toMatchObject({ processId: 'p-1', status: 'completed', result: { ok: 1 } });
    // Without --client-process-id the required clientProcessId is the (stable) idempotency key.
    const sent = gw.calls('POST', '/api/stargate/processes')[0]!;
    expect(sent.body).toMatchObject({ data: { orderId: 'PO-1' }, clientProcessId: expect.any(String) });
    expect((sent.body as { clientProcessId: string }).clientProcessId).toBe(sent.headers['idempotency-key']);
  });

  it('exits 3 when the process failed', async () => {
    const gw = await gateway(
      view('failed', 2, { error: { code: 'OUT_OF_STOCK', message: 'none', retryable: false } }),
    );
    const t = io(envFor(gw));
    expect(await runCli(['submit', 'order', '--data', '{}', '--wait'], t.io)).toBe(EXIT.failed);
    expect(JSON.parse(t.out())).toMatchObject({ status: 'failed', error: { code: 'OUT_OF_STOCK' } });
  });

  it('exits 7 on a permanent rejection and names the problem', async () => {
    const gw = await gateway();
    const t = io(envFor(gw));
    expect(await runCli(['submit', 'bad', '--data', '{}'], t.io)).toBe(EXIT.rejected);
    expect(t.err()).toContain('INVALID_REQUEST');
  });

  it('queues while the gateway is down (exit 5), shows the queue, and flushes it later', async () => {
    const gw = await gateway();
    const env = envFor(gw);
    await gw.close();
    const t1 = io(env);
    expect(await runCli(['submit', 'order', '--data', '{"n":1}', '--client-process-id', 'c-1'], t1.io)).toBe(
      EXIT.queued,
    );
    const t2 = io(env);
    expect(await runCli(['queue', 'show'], t2.io)).toBe(EXIT.ok);
    expect(JSON.parse(t2.out())).toEqual([
      expect.objectContaining({ processType: 'order', clientProcessId: 'c-1' }),
    ]);
    expect(await runCli(['queue', 'flush'], io(env).io)).toBe(EXIT.queued);

    await gw.restart();
    const t3 = io(env);
    expect(await runCli(['queue', 'flush'], t3.io)).toBe(EXIT.ok);
    expect(JSON.parse(t3.out())).toEqual({ remaining: 0 });
    expect(gw.calls('POST', '/api/stargate/processes')).toHaveLength(1);
  });

  it('wait --timeout exits 8 while the process is still running, and shows a progress bar on a TTY', async () => {
    const gw = await startTestGateway((req: RecordedRequest): Reply => {
      if (req.path === '/oauth/token') return tokenReply(1);
      if (req.path === '/api/stargate/process-types') return { status: 200, body: [] };
      return {
        status: 200,
        body: view('processing', 1, { progress: { percent: 40, currentStep: 'reserve' } }),
      };
    });
    toClose.push(gw);
    const t = io(envFor(gw));
    let bar = '';
    const tty = { ...t.io, stderr: { write: (s: string) => (bar += s), isTTY: true } };
    expect(await runCli(['wait', 'p-1', '--timeout', '0.3'], tty)).toBe(EXIT.timeout);
    expect(JSON.parse(t.out())).toMatchObject({ processId: 'p-1', status: 'processing' });
    expect(bar).toContain('[############..................]  40% processing reserve');
  });

  it('exits 2 naming the missing setting when not configured', async () => {
    const t = io({});
    expect(await runCli(['types'], t.io)).toBe(EXIT.usage);
    expect(t.err()).toContain('STARGATE_URL');
    expect(await runCli(['frobnicate'], io({}).io)).toBe(EXIT.usage);
  });

  it('login verifies the credentials and saves them readable by the owner only', async () => {
    const gw = await gateway();
    const t = io({});
    const code = await runCli(
      ['login', '--url', gw.url, '--client-id', 'cli', '--client-secret', 'secret'],
      t.io,
    );
    expect(code).toBe(EXIT.ok);
    const saved = JSON.parse(t.out()) as { saved: string; processTypes: string[] };
    expect(saved.processTypes).toEqual(['order']);
    expect(statSync(saved.saved).mode & 0o777).toBe(0o600);
    const t2 = { ...t.io, stdout: { write: (s: string) => s, isTTY: false } };
    expect(await runCli(['types'], t2)).toBe(EXIT.ok);
  });

  it('refuses http:// to a host that is not loopback (exit 2) unless --allow-insecure-http', async () => {
    const env = { ...envFor(await gateway()), STARGATE_URL: 'http://stargate.example.com' };
    const refused = io(env);
    expect(await runCli(['queue', 'show'], refused.io)).toBe(EXIT.usage);
    expect(refused.err()).toContain('STARGATE_URL uses plain http:// to a host that is not loopback');
    expect(refused.err()).toContain('--allow-insecure-http');
    const login = io({});
    expect(
      await runCli(
        ['login', '--url', 'http://10.1.2.3', '--client-id', 'c', '--client-secret', 's'],
        login.io,
      ),
    ).toBe(EXIT.usage);
    expect(login.err()).toContain('--url uses plain http://');
    // Allowed explicitly: the local queue opens (nothing is sent).
    expect(await runCli(['queue', 'show', '--allow-insecure-http'], io(env).io)).toBe(EXIT.ok);
    expect(await runCli(['queue', 'show'], io({ ...env, STARGATE_ALLOW_INSECURE_HTTP: 'true' }).io)).toBe(
      EXIT.ok,
    );
  });
});
