import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCircuitBreaker } from '@stargate/contracts';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../server.js';
import { gatewayDouble, quietLogger } from '../testing/gateway-double.js';
import { type HandlerContext, HandlerError } from './define-handler.js';
import { createForwardHandler } from './http-forward.js';

interface Seen {
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

/** A private-zone backend: /ok → 200, /bad → 400, /down → 503, /hang → never answers. */
async function backend(): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => {
      raw += c.toString();
    });
    req.on('end', () => {
      seen.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(raw || 'null') });
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.url === '/ok') json(200, { accepted: true, reference: 'R-1' });
      else if (req.url === '/bad') json(400, { error: 'sku unknown' });
      else if (req.url === '/down') json(503, { error: 'maintenance' });
      // /hang: never answers.
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function ctx(signal = new AbortController().signal): HandlerContext {
  return {
    processId: 'p-1',
    processType: 'forwarded',
    tenantId: 'acme',
    correlationId: 'corr-12345678',
    attempt: 1,
    signal,
    logger: pino({ level: 'silent' }),
    progress: async () => undefined,
  };
}

async function failure(p: Promise<unknown>): Promise<HandlerError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HandlerError);
  return err as HandlerError;
}

describe('http-forward handler against a local HTTP service', () => {
  let svc: Awaited<ReturnType<typeof backend>>;
  beforeAll(async () => {
    svc = await backend();
  });
  afterAll(() => svc.close());

  const handler = (path: string, timeoutSeconds = 5) =>
    createForwardHandler(
      'forwarded',
      {
        url: `${svc.url}${path}`,
        method: 'POST',
        timeoutSeconds,
        headers: { 'x-team': 'erp' },
        credentialsHeader: 'x-api-key',
      },
      { credentials: 'secret-from-env' },
    );

  it('maps 200 to the result and sends data, correlation id and credentials', async () => {
    const result = await handler('/ok').handle(ctx(), { sku: 'A' });
    expect(result).toEqual({ accepted: true, reference: 'R-1' });
    const req = svc.seen.at(-1);
    expect(req?.body).toMatchObject({ processId: 'p-1', tenantId: 'acme', data: { sku: 'A' } });
    expect(req?.headers['x-api-key']).toBe('secret-from-env');
    expect(req?.headers['x-correlation-id']).toBe('corr-12345678');
    expect(req?.headers['x-team']).toBe('erp');
  });

  it('maps 400 to a non-retryable UPSTREAM_REJECTED with the answer', async () => {
    const err = await failure(handler('/bad').handle(ctx(), {}));
    expect(err).toMatchObject({ code: 'UPSTREAM_REJECTED', retryable: false });
    expect(err.details).toEqual({ status: 400, body: { error: 'sku unknown' } });
  });

  it('maps 503 to a retryable UPSTREAM_UNAVAILABLE', async () => {
    const err = await failure(handler('/down').handle(ctx(), {}));
    expect(err).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', retryable: true, details: { status: 503 } });
  });

  it('maps a hanging backend to a retryable UPSTREAM_TIMEOUT', async () => {
    const err = await failure(handler('/hang', 0.2).handle(ctx(), {}));
    expect(err).toMatchObject({ code: 'UPSTREAM_TIMEOUT', retryable: true });
  });

  it('opens the circuit after repeated failures and stops calling the backend', async () => {
    let now = 0;
    const breaker = createCircuitBreaker({ failureThreshold: 2, openMs: 1_000, now: () => now });
    const h = createForwardHandler(
      'forwarded',
      { url: `${svc.url}/down`, method: 'POST', timeoutSeconds: 5 },
      { breaker },
    );
    await failure(h.handle(ctx(), {}));
    await failure(h.handle(ctx(), {}));
    const calls = svc.seen.length;
    const open = await failure(h.handle(ctx(), {}));
    expect(open).toMatchObject({ code: 'CIRCUIT_OPEN', retryable: true });
    expect(svc.seen.length).toBe(calls);
    now = 1_000;
    await failure(h.handle(ctx(), {}));
    expect(svc.seen.length).toBe(calls + 1);
  });

  it('runs as a process type of a worker, credentials named by an environment variable', async () => {
    const gw = await gatewayDouble(['forwarded']);
    let server: RunningServer | undefined;
    try {
      server = await startServer({
        amqpUrl: gw.vhost.url,
        mongoUrl: gw.mongoUrl,
        dbName: gw.dbName,
        processTypes: ['forwarded'],
        serverConfig: {
          processTypes: [
            {
              name: 'forwarded',
              handler: {
                forward: {
                  url: `${svc.url}/ok`,
                  method: 'POST',
                  timeoutSeconds: 2,
                  credentialsEnv: 'ERP_TOKEN',
                },
              },
              concurrency: 1,
              timeoutSeconds: 5,
              retry: { maxAttempts: 1, initialBackoffSeconds: 1, maxBackoffSeconds: 1 },
              requestSchema: { type: 'object' },
            },
          ],
        },
        env: { ERP_TOKEN: 'Bearer erp-token' },
        logger: quietLogger,
      });
      const id = await gw.submit('forwarded', { sku: 'B' });
      const doc = await gw.waitFor(id, 'completed');
      expect(doc.result).toEqual({ accepted: true, reference: 'R-1' });
      expect(svc.seen.at(-1)?.headers.authorization).toBe('Bearer erp-token');
    } finally {
      await server?.close();
      await gw.close();
    }
  });
});
