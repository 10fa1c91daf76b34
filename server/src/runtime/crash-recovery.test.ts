import type { ChildProcess } from 'node:child_process';
import { eventually } from '@stargate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayDouble, gatewayDouble } from '../testing/gateway-double.js';
import { exited, spawnWorker } from '../testing/worker-process.js';

describe('a worker killed with SIGKILL inside a handler', () => {
  let gw: GatewayDouble;
  const children: ChildProcess[] = [];

  const worker = () => {
    const w = spawnWorker({
      STARGATE_AMQP_URL: gw.vhost.url,
      STARGATE_MONGO_URL: gw.mongoUrl,
      STARGATE_MONGO_DB: gw.dbName,
      STARGATE_PROCESS_TYPES: 'order',
      // The killed worker's lease expires after this; until then no other worker runs the process.
      STARGATE_LEASE_SECONDS: '2',
    });
    children.push(w.child);
    return w;
  };

  beforeAll(async () => {
    gw = await gatewayDouble(['order']);
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await gw?.close();
  });

  it('is completed exactly once by the next worker', async () => {
    const first = worker();
    await eventually(() => first.output().includes('worker running'), 30_000);
    const id = await gw.submit('order', {
      orderId: 'PO-K',
      customerId: 'C-K',
      items: [{ sku: 'SKU-K', quantity: 1, unitPrice: 1 }],
      simulate: { delayMs: 400 },
    });
    await eventually(async () => (await gw.process(id))?.progress?.currentStep === 'checking inventory');
    first.child.kill('SIGKILL');
    await exited(first.child);
    expect((await gw.process(id))?.status).toBe('processing');

    const second = worker();
    const doc = await gw.waitFor(id, 'completed', 30_000);
    expect(doc.attempts).toBe(1);
    const events = await gw.events(id);
    expect(events.filter((e) => e.status === 'completed')).toHaveLength(1);
    // The second worker resumed the half-done process: a new processing run after the crash.
    expect(events.filter((e) => e.progress?.currentStep === 'started').length).toBe(2);
    // The killed run is counted as a failed run (it ended without an outcome or a release).
    expect(doc.failedRuns).toBe(1);

    // A late duplicate of the request only republishes the final state.
    await gw.submit('order', {}, { processId: id });
    await eventually(
      () => gw.states.filter((s) => s.processId === id && s.status === 'completed').length >= 2,
    );
    expect((await gw.events(id)).filter((e) => e.status === 'completed')).toHaveLength(1);

    second.child.kill('SIGTERM');
    expect(await exited(second.child)).toBe(0);
  });
});
