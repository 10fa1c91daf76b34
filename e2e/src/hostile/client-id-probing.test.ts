/**
 * Whether an anonymous caller can tell which client ids exist (security.md: an anonymous caller
 * must not learn which tenants exist). A wrong secret for a real client id costs a scrypt
 * (~50–200 ms); an unknown id was refused at once (~5 ms), so timing the 401 told them apart.
 * Now both cost the same; scrypt is budgeted per address, so rotating ids buys no more CPU
 * (gateway/src/auth/client-authenticator.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostileGateway, raw, startHostileGateway } from './support.js';

let gw: HostileGateway;

beforeAll(async () => {
  gw = await startHostileGateway();
});

afterAll(async () => {
  await gw?.close();
});

/** A failed client-credentials login as if from `address` (X-Forwarded-For is believed from loopback). */
async function failedLogin(clientId: string, address: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const res = await raw(gw.url, {
    method: 'POST',
    path: '/oauth/token',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:not-the-secret`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      'x-forwarded-for': address,
    },
    body: 'grant_type=client_credentials',
  });
  return { status: res.status, ms: performance.now() - started };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('probing for client ids', () => {
  it('a wrong secret for a real client id and any secret for an unknown one take alike', async () => {
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 7; i++) {
      const a = await failedLogin('acme-client', `203.0.113.${i + 1}`);
      const b = await failedLogin(`nobody-${i}`, `203.0.113.${i + 1}`);
      expect([a.status, b.status]).toEqual([401, 401]);
      known.push(a.ms);
      unknown.push(b.ms);
    }
    console.info(
      `[timing] failed login, median of 7: real client id ${median(known).toFixed(0)} ms, unknown ${median(unknown).toFixed(0)} ms`,
    );
    // Before: ~150 ms against ~8 ms.
    expect(median(unknown)).toBeGreaterThan(0.4 * median(known));
  });
});
