/**
 * Failed-login blocking at the token endpoint (issue 16, Medium 9): it must slow an attacker
 * down without letting them lock a tenant out, and registering the OAuth routes twice (with
 * and without the API prefix) must not double the failures allowed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRETS, startTestBed, type TestBed } from '../testing/fixtures.js';

let bed: TestBed;
let url: string;

beforeAll(async () => {
  // A frozen clock: the failure budget does not refill while a slow machine runs the guesses.
  const frozen = Date.now();
  bed = await startTestBed({ clock: { now: () => frozen } });
  url = bed.gw.url;
});
afterAll(async () => bed?.close());

/** A client-credentials request as if from `address` (the gateway believes X-Forwarded-For from loopback). */
async function token(clientId: string, secret: string, address: string, path = '/oauth/token') {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      'x-forwarded-for': address,
    },
    body: 'grant_type=client_credentials',
  });
  await res.arrayBuffer();
  return res.status;
}

async function guess(clientId: string, address: string, times: number, path?: string) {
  const statuses: number[] = [];
  for (let i = 0; i < times; i++) statuses.push(await token(clientId, `guess-${i}`, address, path));
  return statuses;
}

describe('client lockout', () => {
  it('an attacker guessing from one address does not lock the client out at its own address', async () => {
    const statuses = await guess('beta-client', '203.0.113.7', 12);
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
    // The tenant's own system, elsewhere, logs in as usual.
    expect(await token('beta-client', SECRETS.beta, '198.51.100.2')).toBe(200);
  });

  it('a blocked address still gets a token with the right secret (verified before by this gateway)', async () => {
    expect(await token('alpha-client', SECRETS.alpha, '192.0.2.10')).toBe(200);
    const statuses = await guess('alpha-client', '192.0.2.10', 11);
    expect(statuses.at(-1)).toBe(429);
    expect(await token('alpha-client', SECRETS.alpha, '192.0.2.10')).toBe(200);
    // Wrong guesses stay refused unchecked there.
    expect(await token('alpha-client', 'one-more-guess', '192.0.2.10')).toBe(429);
  });

  it('the prefixed and unprefixed token endpoints share one failure budget', async () => {
    const address = '192.0.2.77';
    const first = await guess('alpha-client', address, 5, '/oauth/token');
    const second = await guess('alpha-client', address, 5, '/api/stargate/oauth/token');
    expect([...first, ...second].every((s) => s === 401)).toBe(true);
    // The 11th wrong secret is refused, whichever path it takes.
    expect(await token('alpha-client', 'guess-11', address, '/oauth/token')).toBe(429);
  });
});
