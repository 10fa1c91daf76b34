/**
 * What anonymous failed logins cost a gateway in memory, measured on a gateway running as its
 * own process (resident set from /proc). The token endpoint counts wrong credentials per
 * (client id, address); an attacker chooses the client id, up to the 64 KiB form limit, and
 * an unknown one costs no scrypt, so thousands per second are cheap. Keyed on the raw id, every
 * failure kept its ~60 KB string in the counter (2 000 requests: +202 MiB RSS that stayed).
 * Two controls bound it now: the counter keeps a digest of the id, and one address gets at most
 * 60 checks at once (then 2/s) before it is answered 429 unchecked.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.js';
import { exampleConfig } from '../support/system.js';
import { raw } from './support.js';

let stack: Stack;
let url: string;

beforeAll(async () => {
  stack = await startStack({ ...(await exampleConfig({ raiseLimits: true })), gateways: 1, workers: 0 });
  url = stack.gatewayUrls[0]!;
});

afterAll(async () => {
  await stack?.close();
});

async function rssMiB(): Promise<number> {
  const status = await readFile(`/proc/${stack.gateways[0]!.child.pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]) / 1024;
}

const REQUESTS = 2_000;
const ID_CHARS = 60_000;

function failedLogin(i: number) {
  // A distinct client id each time (a new counter entry), sent as client_secret_post.
  const clientId = `${i.toString(36)}-${'x'.repeat(ID_CHARS)}`;
  return raw(url, {
    method: 'POST',
    path: '/oauth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `grant_type=client_credentials&client_id=${clientId}&client_secret=wrong`,
  });
}

describe('failed logins with huge client ids (anonymous)', () => {
  it(`${REQUESTS} of ${ID_CHARS / 1000} kB each are refused (401, then 429), and the gateway keeps none of them`, async () => {
    // Warm up: the first requests compile routes and grow the heap for reasons of their own.
    for (let i = 0; i < 50; i++) await failedLogin(-1 - i);
    const before = await rssMiB();
    const started = Date.now();
    const statuses = new Map<number, number>();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < REQUESTS) {
          const res = await failedLogin(next++);
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        }
      }),
    );
    // Let the young generation collect the bodies themselves.
    await new Promise((r) => setTimeout(r, 1500));
    const after = await rssMiB();
    console.info(
      `[memory] ${REQUESTS} failed logins with ${ID_CHARS / 1000} kB client ids in ${Date.now() - started} ms: ` +
        `${[...statuses].map(([s, n]) => `${n}×${s}`).join(' ')}, RSS ${before.toFixed(0)} → ${after.toFixed(0)} MiB`,
    );
    // 401, then 429 once this address has used up its scrypt budget (client-authenticator.ts).
    expect([...statuses.keys()].every((s) => s === 401 || s === 429)).toBe(true);
    // The raw ids alone would be 2 000 × 60 kB ≈ 115 MiB (+202 MiB measured); the digests ≈ 0.3 MiB
    // (+26 MiB measured: the heap grown for the bodies in flight).
    expect(after - before).toBeLessThan(60);
    // The gateway still answers.
    expect((await raw(url, { path: '/health/live' })).status).toBe(200);
  }, 120_000);
});
