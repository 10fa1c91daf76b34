import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProcessStatusBody } from '@stargate/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, ProcessFailedError } from '../index.js';
import { createFakeClock } from '../testing/fake-clock.js';
import { type RecordedRequest, type Reply, startTestGateway, tokenReply } from '../testing/test-gateway.js';

const toClose: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const c of toClose.splice(0).reverse()) await c.close();
});

async function setup(initial: Partial<ProcessStatusBody>) {
  const clock = createFakeClock(0);
  let final = initial;
  let retried: number | undefined;
  const gw = await startTestGateway((req: RecordedRequest): Reply => {
    if (req.path === '/oauth/token') return tokenReply(1);
    if (req.path === '/api/stargate/process-types') return { status: 200, body: [] };
    if (req.method === 'POST' && req.path.endsWith('/retry')) {
      // Like the gateway: the command is queued, the old failure is served until the worker acts.
      retried = 0;
      return { status: 202, body: { processId: 'p-1', command: 'retry', status: 'failed', statusUrl: '/x' } };
    }
    if (retried !== undefined && req.method === 'GET' && ++retried === 3)
      final = { status: 'completed', version: 9, result: { second: 'try' } };
    if (req.method === 'POST')
      return {
        status: 202,
        body: {
          processId: 'p-1',
          processType: 'order',
          status: 'accepted',
          statusUrl: '/x',
          createdAt: 'now',
        },
      };
    return {
      status: 200,
      body: {
        processId: 'p-1',
        processType: 'order',
        status: 'completed',
        version: 2,
        createdAt: 'a',
        updatedAt: 'b',
        ...final,
      },
    };
  }, clock.now);
  const db = join(mkdtempSync(join(tmpdir(), 'sg-results-')), 'sdk.db');
  const make = () => {
    const c = createClient({
      baseUrl: gw.url,
      clientId: 'c',
      clientSecret: 's',
      databasePath: db,
      clock,
      longPollSeconds: 0,
    });
    toClose.push(c);
    return c;
  };
  toClose.push(gw);
  return { clock, make, gw };
}

describe('results delivery', () => {
  it('delivers a completed result to the handler of its type and marks it consumed after the handler returns', async () => {
    const { clock, make } = await setup({ result: { total: 5 } });
    const client = make();
    const got: unknown[] = [];
    client.onCompleted('order', async (v) => {
      got.push(v.result);
    });
    client.onCompleted('other', () => {
      throw new Error('wrong type');
    });
    await client.submit('order', {});
    await clock.runUntil(() => got.length > 0);
    expect(got).toEqual([{ total: 5 }]);
  });

  it('offers a result again when the handler threw, also after a restart, until it returns', async () => {
    const { clock, make } = await setup({ result: { total: 5 } });
    const first = make();
    let calls = 0;
    first.onCompleted('order', () => {
      calls += 1;
      throw new Error('database down');
    });
    await first.submit('order', {});
    await clock.runUntil(() => calls >= 2);
    await first.close();

    const second = make();
    const got: unknown[] = [];
    second.onCompleted('order', (v) => {
      got.push(v.processId);
    });
    await clock.runUntil(() => got.length > 0);
    expect(got).toEqual(['p-1']);
    expect(calls).toBeGreaterThanOrEqual(2);
  });

  it('routes failures to onFailed and rejects pollUntilDone with the process error', async () => {
    const { make } = await setup({
      status: 'failed',
      error: { code: 'OUT_OF_STOCK', message: 'no widgets', retryable: false },
    });
    const client = make();
    const failed: ProcessStatusBody[] = [];
    client.onFailed('order', (v) => {
      failed.push(v);
    });
    const h = await client.submit('order', {});
    const err = await h.pollUntilDone().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcessFailedError);
    expect((err as ProcessFailedError).error?.code).toBe('OUT_OF_STOCK');
    expect(h.status).toBe('failed');
    expect(failed.map((v) => v.error?.code)).toEqual(['OUT_OF_STOCK']);
  });

  it('a retried failure is tracked again and its new outcome delivered', async () => {
    const { clock, make } = await setup({
      status: 'failed',
      version: 3,
      error: { code: 'UPSTREAM_DOWN', message: 'try later', retryable: true },
    });
    const client = make();
    const outcomes: string[] = [];
    client.onFailed('order', (v) => {
      outcomes.push(`failed:${v.error?.code}`);
    });
    client.onCompleted('order', (v) => {
      outcomes.push(`completed:${JSON.stringify(v.result)}`);
    });
    const h = await client.submit('order', {});
    await clock.runUntil(() => outcomes.length === 1);
    await client.retry('p-1');
    expect(client.tracked().map((t) => t.processId)).toEqual(['p-1']);
    await clock.runUntil(() => outcomes.length === 2);
    expect(outcomes).toEqual(['failed:UPSTREAM_DOWN', 'completed:{"second":"try"}']);
    expect(h.status).toBe('completed');
  });
});
