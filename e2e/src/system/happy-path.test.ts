/**
 * The main job as customers see it: two tenants submit several hundred processes of both
 * types through the SDK and plain HTTP to two gateways backed by two server workers (all
 * separate processes), and every result arrives, matches its request and is recorded once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type StarGateClient } from '@stargate/client-sdk';
import type { ProcessStatusBody } from '@stargate/contracts';
import { eventually } from '@stargate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.js';
import {
  cleanLedger,
  exampleConfig,
  type HttpAnswer,
  http,
  ledger,
  orderData,
  orderTotal,
  pool,
  shippingData,
  submit,
  waitTerminal,
} from '../support/system.js';

let stack: Stack;
let dir: string;
const clients: StarGateClient[] = [];
/** processId → terminal status the client saw. */
const seen = new Map<string, string | undefined>();
const views = new Map<string, ProcessStatusBody>();

beforeAll(async () => {
  const cfg = await exampleConfig({ raiseLimits: true });
  stack = await startStack({ ...cfg, gateways: 2, workers: 2 });
  dir = await mkdtemp(join(tmpdir(), 'e2e-happy-'));
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await stack?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function sdkClient(tenantId: string, gateway: number): StarGateClient {
  const cred = stack.credentials.find((c) => c.tenantId === tenantId);
  if (!cred) throw new Error(tenantId);
  const client = createClient({
    baseUrl: stack.gatewayUrls[gateway] ?? '',
    clientId: cred.clientId,
    clientSecret: cred.clientSecret,
    databasePath: join(dir, `${tenantId}-${gateway}.db`),
  });
  clients.push(client);
  return client;
}

describe('two tenants, both process types, SDK and plain HTTP', () => {
  it('completes 300 processes with results that match their requests', async () => {
    const acme = sdkClient('acme', 0);
    const globex = sdkClient('globex', 1);
    const acmeToken = await stack.token('acme');
    const globexToken = await stack.token('globex');

    // SDK: 100 acme orders and 80 globex orders, each awaited through the SDK's own polling.
    const sdkJobs = [
      ...Array.from({ length: 100 }, (_, i) => ({ client: acme, ref: `A-${i}`, qty: 1 + (i % 5) })),
      ...Array.from({ length: 80 }, (_, i) => ({ client: globex, ref: `G-${i}`, qty: 1 + (i % 7) })),
    ];
    const sdkRun = pool(sdkJobs, 40, async ({ client, ref, qty }) => {
      const handle = await client.submit('order', orderData(ref, qty), { clientProcessId: ref });
      expect(handle.status).toBe('accepted');
      const done = await handle.pollUntilDone({ signal: AbortSignal.timeout(300_000) });
      seen.set(done.processId, done.status);
      views.set(done.processId, done);
      expect(done.clientProcessId).toBe(ref);
      expect(done.result).toMatchObject({ orderId: ref, status: 'confirmed', totalAmount: orderTotal(qty) });
      return done;
    });

    // Plain HTTP: 60 acme shipments and 60 acme orders, alternating gateways.
    const httpJobs = Array.from({ length: 120 }, (_, i) =>
      i % 2 === 0
        ? { type: 'shipping', ref: `S-${i}`, data: shippingData(`S-${i}`) }
        : { type: 'order', ref: `H-${i}`, data: orderData(`H-${i}`, 3) },
    );
    const httpRun = pool(httpJobs, 30, async ({ type, ref, data }, i) => {
      const url = stack.gatewayUrls[i % 2] ?? '';
      const res = await submit(url, acmeToken, type, data, { clientProcessId: ref });
      expect(res.status, res.text).toBe(202);
      expect(res.headers.get('location')).toContain(`/api/stargate/processes/${res.body.processId}`);
      expect(res.body).toMatchObject({ status: 'accepted', processType: type, clientProcessId: ref });
      const done = await waitTerminal(stack.gatewayUrls, acmeToken, res.body.processId, 300_000);
      seen.set(done.processId, done.status);
      views.set(done.processId, done);
      if (type === 'shipping') {
        expect(done.result).toMatchObject({ shipmentId: ref, status: 'booked' });
        expect(String((done.result as { trackingNumber: string }).trackingNumber)).not.toBe('');
      } else {
        expect(done.result).toMatchObject({ orderId: ref, totalAmount: orderTotal(3) });
      }
      return done;
    });

    const [sdkDone, httpDone] = await Promise.all([sdkRun, httpRun]);
    expect([...sdkDone, ...httpDone].every((v) => v.status === 'completed')).toBe(true);
    expect(seen.size).toBe(300);

    // Ledger: 300 accepted, 300 records, each with exactly one terminal event, nothing extra.
    const report = await ledger(stack.mongo, seen);
    expect(report).toEqual(cleanLedger(report));
    expect(report.byStatus, report.failedDetails.slice(0, 5).join('; ')).toEqual({ completed: 300 });

    // Each tenant's list shows its own processes only.
    const page = await http<{ items: ProcessStatusBody[] }>(
      `${stack.gatewayUrls[1]}/api/stargate/processes?limit=100`,
      { token: globexToken },
    );
    expect(page.status).toBe(200);
    expect(page.body.items.length).toBeGreaterThan(0);
    expect(page.body.items.every((v) => v.clientProcessId?.startsWith('G-'))).toBe(true);
  }, 420_000);

  it("answers 404 (never 403) for another tenant's process, on read and on cancel", async () => {
    const acmeToken = await stack.token('acme');
    const globexToken = await stack.token('globex');
    const res = await submit(stack.gatewayUrls[0] ?? '', acmeToken, 'order', orderData('X-1'));
    expect(res.status).toBe(202);
    const id = res.body.processId;
    for (const url of stack.gatewayUrls) {
      // globex has no cached copy, so the gateway asks the server, which may be too busy to
      // answer in time on a loaded machine (504); what must never happen is a 200 or a 403.
      const read = await eventually(
        async () => {
          const r = await http<{ error: string }>(`${url}/api/stargate/processes/${id}`, {
            token: globexToken,
          });
          expect([404, 503, 504]).toContain(r.status);
          return r.status === 404 ? r : undefined;
        },
        60_000,
        500,
      );
      expect(read.body.error).toBe('NOT_FOUND');
      const cancel = await http(`${url}/api/stargate/processes/${id}/cancel`, {
        method: 'POST',
        token: globexToken,
      });
      expect(cancel.status).toBe(404);
    }
    // ...while the owner sees it, and an SDK-tracked globex process is invisible to acme.
    expect((await waitTerminal(stack.gatewayUrls, acmeToken, id)).status).toBe('completed');
    const globexId = [...views.values()].find((v) => v.clientProcessId?.startsWith('G-'))?.processId;
    expect(globexId).toBeDefined();
    const other = await eventually(
      async () => {
        const r = await http(`${stack.gatewayUrls[0]}/api/stargate/processes/${globexId}`, {
          token: acmeToken,
        });
        expect([404, 503, 504]).toContain(r.status);
        return r.status === 404 ? r : undefined;
      },
      60_000,
      500,
    );
    expect(other.status).toBe(404);
  }, 240_000);

  it('a long poll returns as soon as the state changes, and ends with the result', async () => {
    const token = await stack.token('acme');
    const url = stack.gatewayUrls[1] ?? '';
    // Three steps of 700 ms: a plain 30 s poller would see nothing for 30 s.
    const res = await submit(url, token, 'order', orderData('LP-1', 1, { delayMs: 700 }));
    expect(res.status).toBe(202);
    const id = res.body.processId;
    const statuses: string[] = [];
    let etag: string | null = null;
    let version = -1;
    const deadline = Date.now() + 180_000;
    while (Date.now() < deadline) {
      const poll: HttpAnswer<ProcessStatusBody> = await http<ProcessStatusBody>(
        `${url}/api/stargate/processes/${id}`,
        {
          token,
          headers: { prefer: 'wait=25', ...(etag ? { 'if-none-match': etag } : {}) },
        },
      );
      // 304: nothing changed during the whole hold (only on a very loaded machine); ask again.
      if (poll.status === 304) continue;
      expect(poll.status).toBe(200);
      expect(poll.headers.get('preference-applied')).toBe('wait=25');
      // A 200 to a conditional long poll means the state moved on: the change woke it.
      expect(poll.body.version).toBeGreaterThan(version);
      version = poll.body.version;
      statuses.push(`${poll.body.status}:${poll.body.progress}`);
      etag = poll.headers.get('etag');
      if (poll.body.status === 'completed') {
        expect(poll.body.result).toMatchObject({ orderId: 'LP-1', totalAmount: orderTotal(1) });
        break;
      }
    }
    expect(statuses.at(-1)).toMatch(/^completed/);
    // It saw intermediate progress too, not only the end.
    expect(statuses.some((s) => s.startsWith('processing'))).toBe(true);
  }, 240_000);
});
