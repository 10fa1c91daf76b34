/**
 * Slow senders (slowloris): a caller who declares a body and trickles it a byte at a time must
 * not hold a gateway connection for ever. The gateway bounds the time to receive a whole
 * request (2 s here, 60 s by default) and answers 408; a long poll, whose *answer* takes long,
 * is not cut by it.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderData } from '../support/system.js';
import { type HostileGateway, raw, startHostileGateway } from './support.js';

const REQUEST_TIMEOUT_MS = 2_000;
let gw: HostileGateway;
let acme: string;

beforeAll(async () => {
  gw = await startHostileGateway({ requestTimeoutMs: REQUEST_TIMEOUT_MS });
  acme = await gw.token('acme');
});

afterAll(async () => {
  await gw?.close();
}, 60_000);

/**
 * Sends `head` and then one byte of the declared body every 300 ms; resolves with what the
 * gateway answered and when it closed the connection (or `undefined` after `giveUpMs`).
 */
function trickle(head: string, giveUpMs: number): Promise<{ answer: string; closedAfterMs?: number }> {
  const u = new URL(gw.url);
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(Number(u.port), u.hostname);
    let answer = '';
    const drip = setInterval(() => socket.write('a'), 300);
    const giveUp = setTimeout(() => finish(undefined), giveUpMs);
    function finish(closedAfterMs: number | undefined) {
      clearInterval(drip);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ answer, ...(closedAfterMs !== undefined ? { closedAfterMs } : {}) });
    }
    socket.on('data', (d: Buffer) => {
      answer += d.toString();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => finish(Date.now() - started));
    socket.write(head);
  });
}

describe('slow senders', () => {
  it.each([
    [
      'anonymous, to the token endpoint',
      'POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 60000\r\n\r\ng',
    ],
    [
      'with a token, to submit',
      () =>
        `POST /api/stargate/processes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${acme}\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{`,
    ],
  ])(
    '%s: answered 408 and disconnected once the request timeout passes',
    async (_name, head) => {
      const res = await trickle(typeof head === 'string' ? head : head(), 4 * REQUEST_TIMEOUT_MS);
      expect(res.closedAfterMs, 'the gateway kept the connection open').toBeDefined();
      expect(res.closedAfterMs).toBeLessThan(4 * REQUEST_TIMEOUT_MS);
      expect(res.answer).toMatch(/^HTTP\/1\.1 408/);
    },
    15_000,
  );

  it('a long poll longer than the request timeout still gets its answer', async () => {
    const auth = { authorization: `Bearer ${acme}` };
    const submit = await fetch(`${gw.url}/api/stargate/processes`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      // Each step of the demo handler waits 10 s: the state stays put while the poll waits.
      body: JSON.stringify({
        processType: 'order',
        clientProcessId: 'slow',
        data: orderData('slow', 1, { delayMs: 10_000 }),
      }),
    });
    expect(submit.status).toBe(202);
    const { processId } = (await submit.json()) as { processId: string };
    const path = `/api/stargate/processes/${processId}`;
    // Wait until the handler sits in its first step: the same version twice, 500 ms apart.
    let etag = '';
    for (let i = 0; i < 40; i++) {
      const res = await raw(gw.url, { path, headers: auth });
      const status = (JSON.parse(res.body) as { status: string }).status;
      if (status === 'processing' && res.headers.etag === etag) break;
      etag = String(res.headers.etag);
      await new Promise((r) => setTimeout(r, 500));
    }
    const started = Date.now();
    const res = await raw(gw.url, { path, headers: { ...auth, prefer: 'wait=4', 'if-none-match': etag } });
    expect([200, 304], res.body).toContain(res.status);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_500);
    // Stop the handler's long sleep, so the server closes quickly.
    await raw(gw.url, { method: 'POST', path: `${path}/cancel`, headers: auth });
  }, 30_000);
});
