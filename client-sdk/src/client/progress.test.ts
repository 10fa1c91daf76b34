import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ProcessStatusBody, presentAccepted, presentStatus } from '@stargate/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../index.js';
import { type RecordedRequest, type Reply, startTestGateway, tokenReply } from '../testing/test-gateway.js';

const toClose: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const c of toClose.splice(0).reverse()) await c.close();
});

describe('many processes followed at once', () => {
  it('reports each process only to its own onProgress, without listener-leak warnings', async () => {
    let n = 0;
    const created = new Date().toISOString();
    const view = (id: string, status: ProcessStatusBody['status'], version: number): ProcessStatusBody =>
      presentStatus({
        processId: id,
        processType: 'order',
        status,
        version,
        createdAt: created,
        updatedAt: created,
        ...(status === 'completed' ? { result: { id } } : { progress: { percent: 50 } }),
      });
    const reads = new Map<string, number>();
    // Nothing completes before every pollUntilDone is attached, and each process is still seen
    // in progress after that: on a loaded machine the background poller could otherwise finish
    // a process, or read its last progress, before its onProgress exists.
    let attached = false;
    const readsAttached = new Map<string, number>();
    const gw = await startTestGateway((req: RecordedRequest): Reply => {
      if (req.path === '/oauth/token') return tokenReply(1);
      if (req.method === 'POST' && req.path === '/api/stargate/processes') {
        const id = `p-${++n}`;
        return {
          status: 202,
          body: presentAccepted({
            processId: id,
            clientProcessId: id,
            processType: 'order',
            createdAt: created,
          }),
        };
      }
      const id = req.path.split('/').pop()!;
      const seen = (reads.get(id) ?? 0) + 1;
      reads.set(id, seen);
      if (attached) readsAttached.set(id, (readsAttached.get(id) ?? 0) + 1);
      if (seen >= 3 && (readsAttached.get(id) ?? 0) >= 2)
        return { status: 200, body: view(id, 'completed', seen) };
      return { status: 200, headers: { 'retry-after': '1' }, body: view(id, 'processing', seen) };
    });
    const client = createClient({
      baseUrl: gw.url,
      clientId: 'acme',
      clientSecret: 'secret-value',
      databasePath: join(mkdtempSync(join(tmpdir(), 'sg-progress-')), 'sdk.db'),
      longPollSeconds: 0,
    });
    toClose.push(gw, client);
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const handles = await Promise.all(Array.from({ length: 25 }, () => client.submit('order', { x: 1 })));
      const seen = new Map<string, Set<string>>();
      const waits = handles.map((h) =>
        h.pollUntilDone({
          onProgress: (v) => {
            const ids = seen.get(h.processId!) ?? new Set();
            ids.add(v.processId);
            seen.set(h.processId!, ids);
          },
        }),
      );
      attached = true;
      const done = await Promise.all(waits);
      expect(done.map((v) => v.status)).toEqual(Array(25).fill('completed'));
      for (const h of handles) expect([...(seen.get(h.processId!) ?? [])]).toEqual([h.processId]);
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });
});
