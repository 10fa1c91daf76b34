/**
 * How many times the worker talks to MongoDB per process, counted by the driver's own command
 * monitor on the worker's client: a process whose handler reports no progress in time costs
 * two round trips (insert, then one findOneAndUpdate carrying state, result and history
 * entry); progress is written at most once per interval.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CommandStartedEvent, MongoClient } from 'mongodb';
import { resolveProcessTypes } from '../config/process-types.js';
import { createServer, type StargateServer } from '../server.js';
import { type GatewayDouble, gatewayDouble, quietLogger } from '../testing/gateway-double.js';

const STORE_COMMANDS = new Set(['insert', 'update', 'findAndModify', 'find', 'delete', 'aggregate', 'count']);

describe('store round trips per process', () => {
  let gw: GatewayDouble;
  let client: MongoClient;
  let server: StargateServer;
  const commands: CommandStartedEvent[] = [];

  beforeAll(async () => {
    gw = await gatewayDouble(['order']);
    client = new MongoClient(gw.mongoUrl, { monitorCommands: true });
    client.on('commandStarted', (e) => {
      if (STORE_COMMANDS.has(e.commandName)) commands.push(e);
    });
    await client.connect();
    server = createServer({
      amqpUrl: gw.vhost.url,
      db: client.db(gw.dbName),
      types: await resolveProcessTypes(['order'], undefined),
      logger: quietLogger,
    });
    await server.start();
  });
  afterAll(async () => {
    await server?.close();
    await client?.close();
    await gw?.close();
  });

  const order = (i: number, delayMs?: number) => ({
    orderId: `PO-RT-${i}`,
    customerId: 'C-RT',
    items: [{ sku: 'SKU-RT', quantity: 1, unitPrice: 1 }],
    ...(delayMs ? { simulate: { delayMs } } : {}),
  });

  it('takes two store round trips for a process that finishes within the progress interval', async () => {
    commands.length = 0;
    const n = 20;
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push(await gw.submit('order', order(i)));
    for (const id of ids) await gw.waitFor(id, 'completed');
    const byName: Record<string, number> = {};
    for (const c of commands) byName[c.commandName] = (byName[c.commandName] ?? 0) + 1;
    expect(byName).toEqual({ insert: n, findAndModify: n });
    // State, result and the terminal event are one write: the history has exactly two entries.
    for (const id of ids)
      expect((await gw.events(id)).map((e) => e.status)).toEqual(['processing', 'completed']);
  });

  it('writes the progress of a longer handler at most once per 250 ms, and the last report always', async () => {
    commands.length = 0;
    const started = Date.now();
    // Three steps of 300 ms: reports at 0, 300 and 600 ms.
    const id = await gw.submit('order', order(99, 300));
    const doc = await gw.waitFor(id, 'completed');
    const elapsed = Date.now() - started;
    const writes = commands.filter((c) => c.commandName === 'findAndModify').length;
    expect(writes).toBeGreaterThanOrEqual(2);
    expect(writes).toBeLessThanOrEqual(Math.floor(elapsed / 250) + 1);
    const events = await gw.events(id);
    const percents = events.flatMap((e) => (e.progress ? [e.progress.percent] : []));
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(events.at(-1)).toMatchObject({ status: 'completed', version: doc.version });
  });
});
