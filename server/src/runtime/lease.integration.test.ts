/**
 * Issue #16, Medium 7: a redelivered process that is still running elsewhere must not run
 * again concurrently. A run holds a lease on the process record; a delivery that finds a live
 * lease of another worker leaves the process to it, and a worker whose channel is lost aborts
 * its handler (RabbitMQ hands the request to another worker).
 */
import { serviceEnv } from '@stargate/testkit';
import { eventually } from '@stargate/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defineHandler, RuntimeAbort, sleep } from '../handlers/define-handler.js';
import { type RunningServer, type StartServerOptions, startServer } from '../server.js';
import { type GatewayDouble, gatewayDouble, quietLogger } from '../testing/gateway-double.js';

/** What the slow handler did, across every worker of this file (they share the process). */
const seen = { running: 0, maxRunning: 0, starts: 0, effects: 0, aborts: [] as string[] };

const slow = defineHandler({
  type: 'slow',
  async handle(ctx, data: { ms: number }) {
    seen.starts += 1;
    seen.running += 1;
    seen.maxRunning = Math.max(seen.maxRunning, seen.running);
    try {
      await sleep(data.ms, ctx.signal);
      // The side effect: happens once per run that was not aborted.
      seen.effects += 1;
      return { done: true };
    } catch (err) {
      seen.aborts.push(err instanceof RuntimeAbort ? err.reason : String(err));
      throw err;
    } finally {
      seen.running -= 1;
    }
  },
});

/** The vhost's connections as the management API lists them (names). */
async function connections(vhost: string): Promise<string[]> {
  const base = new URL(serviceEnv().rabbitMgmtUrl);
  const auth = Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`);
  const res = await fetch(
    `${base.protocol}//${base.host}/api/vhosts/${encodeURIComponent(vhost)}/connections`,
    {
      headers: { authorization: `Basic ${auth.toString('base64')}` },
    },
  );
  return ((await res.json()) as { name: string }[]).map((c) => c.name);
}

async function closeConnection(name: string): Promise<void> {
  const base = new URL(serviceEnv().rabbitMgmtUrl);
  const auth = Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`);
  await fetch(`${base.protocol}//${base.host}/api/connections/${encodeURIComponent(name)}`, {
    method: 'DELETE',
    headers: { authorization: `Basic ${auth.toString('base64')}`, 'x-reason': 'test: channel lost' },
  });
}

describe('process lease: one run at a time', () => {
  let gw: GatewayDouble;
  let servers: RunningServer[] = [];

  const worker = async () => {
    const options: StartServerOptions = {
      amqpUrl: gw.vhost.url,
      mongoUrl: gw.mongoUrl,
      dbName: gw.dbName,
      processTypes: ['slow'],
      serverConfig: {
        processTypes: [
          {
            name: 'slow',
            handler: { module: 'in-process' },
            concurrency: 1,
            timeoutSeconds: 30,
            retry: { maxAttempts: 1, initialBackoffSeconds: 1, maxBackoffSeconds: 1 },
            requestSchema: { type: 'object' },
          },
        ],
      },
      handlers: [slow],
      leaseSeconds: 5,
      logger: quietLogger,
    };
    const s = await startServer(options);
    servers.push(s);
    return s;
  };

  beforeAll(async () => {
    gw = await gatewayDouble(['slow']);
  });
  afterEach(async () => {
    for (const s of servers) await s.close();
    servers = [];
    Object.assign(seen, { running: 0, maxRunning: 0, starts: 0, effects: 0, aborts: [] });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('does not run a duplicate delivery while another worker runs the process', async () => {
    await worker();
    const id = await gw.submit('slow', { ms: 2_500 });
    await eventually(() => seen.running === 1);
    await worker();
    // A second copy of the same request (the gateway republished it): the idle worker gets it.
    await gw.submit('slow', { ms: 2_500 }, { processId: id });
    const doc = await gw.waitFor(id, 'completed');
    expect(seen).toMatchObject({ maxRunning: 1, starts: 1, effects: 1, aborts: [] });
    expect((await gw.events(id)).filter((e) => e.status === 'completed')).toHaveLength(1);
    expect(doc.lease).toBeUndefined();
  });

  it('aborts the handler of a worker whose channel is lost; the process runs once to its end, and ends once', async () => {
    const before = new Set(
      await eventually(async () =>
        (await connections(gw.vhost.name)).length > 0 ? connections(gw.vhost.name) : undefined,
      ),
    );
    await worker();
    const first = await eventually(async () => {
      const mine = (await connections(gw.vhost.name)).filter((n) => !before.has(n));
      return mine.length > 0 ? mine : undefined;
    }, 20_000);
    const id = await gw.submit('slow', { ms: 3_000 });
    await eventually(() => seen.running === 1);
    await worker();
    for (const name of first) await closeConnection(name);
    const doc = await gw.waitFor(id, 'completed');
    expect(seen.aborts).toEqual(['channel-lost']);
    expect(seen).toMatchObject({ maxRunning: 1, starts: 2, effects: 1 });
    const statuses = (await gw.events(id)).map((e) => e.status);
    expect(statuses.filter((s) => s === 'completed')).toHaveLength(1);
    expect(statuses).not.toContain('failed');
    // The aborted run released its lease: it is no failed run, and the record says why it ended
    // before the second start (what the cluster fault test counts a second start against).
    expect(doc.failedRuns).toBeUndefined();
    expect(doc.releasedRuns).toEqual([
      expect.objectContaining({ reason: 'channel-lost', owner: expect.any(String), at: expect.any(Date) }),
    ]);
    const starts = (await gw.events(id)).filter((e) => e.progress?.currentStep === 'started');
    expect(starts).toHaveLength(2);
    expect(new Date(starts[1]!.time).getTime()).toBeGreaterThanOrEqual(doc.releasedRuns![0]!.at.getTime());
  });
});
