/**
 * Property-based fuzz over the gateway's request surface (fast-check, fixed seed): any
 * method, path, headers, token and body must get an answer below 500, and the gateway must
 * still serve an honest client afterwards. STARGATE_FUZZ_RUNS sets the number of runs
 * (`make fuzz` uses 2000).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { orderData } from '../support/system.js';
import { type HostileGateway, raw, startHostileGateway } from './support.js';

const RUNS = Number(process.env.STARGATE_FUZZ_RUNS ?? 100);
const SEED = Number(process.env.STARGATE_FUZZ_SEED ?? 20261123);

let gw: HostileGateway;
let acme: string;

beforeAll(async () => {
  gw = await startHostileGateway();
  acme = await gw.token('acme');
});

afterAll(async () => {
  await gw?.close();
});

const segment = fc.oneof(
  fc.constantFrom('..', '.', '%2e%2e', '%00', '%2F', '*', '%', '%ZZ', '~', ';', '$gt', '{}', '[]'),
  fc.stringMatching(/^[A-Za-z0-9._~-]{0,40}$/),
  fc.string({ maxLength: 30 }).map((s) => encodeURIComponent(s)),
  fc.uuid(),
);

const path = fc.oneof(
  fc.constantFrom(
    '/api/stargate/processes',
    '/api/stargate/process-types',
    '/oauth/token',
    '/.well-known/jwks.json',
    '/health/ready',
    '/openapi.json',
  ),
  fc
    .tuple(segment, fc.constantFrom('', '/cancel', '/retry'))
    .map(([id, tail]) => `/api/stargate/processes/${id}${tail}`),
  fc.array(segment, { maxLength: 6 }).map((parts) => `/${parts.join('/')}`),
  fc
    .dictionary(fc.constantFrom('status', 'processType', 'limit', 'cursor', 'x', 'status[$ne]'), segment, {
      maxKeys: 4,
    })
    .map((q) => `/api/stargate/processes?${new URLSearchParams(q).toString()}`),
);

/** Header values node:http accepts (visible ASCII and spaces); CR/LF is covered by a raw-socket test. */
const headerValue = fc.oneof(
  fc.stringMatching(/^[\x20-\x7e]{0,200}$/),
  fc.constantFrom('', ' ', 'null', '0', '-1'),
);

const token = fc.oneof(
  fc.constant('valid'),
  fc.constant('none'),
  fc.constantFrom('expired', 'other-key', 'wrong-aud', 'suspended', 'unknown-tenant'),
  headerValue.map((v) => `raw:${v}`),
);

const jsonValue = fc.jsonValue({ maxDepth: 6 });
const body = fc.oneof(
  fc.constant(undefined),
  // Mostly well-formed submissions with fuzzed data, so the deeper layers (schema, idempotency) are reached.
  fc
    .record(
      {
        processType: fc.oneof(fc.constantFrom('order', 'shipping', 'nope', ''), fc.string({ maxLength: 20 })),
        data: fc.oneof(
          jsonValue,
          fc.constant(orderData('fz')),
          fc.constant({ ...orderData('fz'), items: [{}] }),
        ),
        clientProcessId: fc.oneof(fc.string({ maxLength: 300 }), fc.integer(), fc.constant('fz')),
        idempotencyKey: fc.oneof(fc.string({ maxLength: 300 }), fc.constant(null)),
      },
      { requiredKeys: [] },
    )
    .map((o) => JSON.stringify(o)),
  jsonValue.map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 500 }),
  fc.uint8Array({ maxLength: 500 }).map((a) => Buffer.from(a)),
);

const request = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
  path,
  token,
  contentType: fc.oneof(
    fc.constantFrom(
      'application/json',
      'application/x-www-form-urlencoded',
      'text/plain',
      'application/problem+json',
    ),
    headerValue,
  ),
  correlationId: fc.option(headerValue, { nil: undefined }),
  prefer: fc.option(
    fc.oneof(fc.constantFrom('wait=0', 'wait=1', 'wait=-5', 'wait=1e99', 'respond-async'), headerValue),
    {
      nil: undefined,
    },
  ),
  ifNoneMatch: fc.option(headerValue, { nil: undefined }),
  idempotencyKey: fc.option(headerValue, { nil: undefined }),
  traceparent: fc.option(headerValue, { nil: undefined }),
  body,
});

async function authorization(kind: string): Promise<string | undefined> {
  if (kind === 'valid') return `Bearer ${acme}`;
  if (kind === 'none') return undefined;
  if (kind.startsWith('raw:')) return kind.slice(4);
  const claims: Record<string, Record<string, unknown>> = {
    expired: { exp: Math.floor(Date.now() / 1000) - 10 },
    'other-key': {},
    'wrong-aud': { aud: 'x' },
    suspended: { tid: 'initech', sub: 'initech-client' },
    'unknown-tenant': { tid: 'ghost', sub: 'ghost-client' },
  };
  return `Bearer ${await gw.mint(claims[kind] ?? {}, kind === 'other-key' ? { key: 'other' } : {})}`;
}

it(`${RUNS} random requests: never a 5xx, and the gateway keeps serving`, async () => {
  const seen = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      const headers: Record<string, string> = { 'content-type': r.contentType };
      const auth = await authorization(r.token);
      if (auth !== undefined) headers.authorization = auth;
      if (r.correlationId !== undefined) headers['x-correlation-id'] = r.correlationId;
      // Long holds only slow the run down; a hostile wait value is still sent, capped by the fuzz.
      if (r.prefer !== undefined) headers.prefer = r.prefer.replace(/wait=\d{2,}/, 'wait=1');
      if (r.ifNoneMatch !== undefined) headers['if-none-match'] = r.ifNoneMatch;
      if (r.idempotencyKey !== undefined) headers['idempotency-key'] = r.idempotencyKey;
      if (r.traceparent !== undefined) headers.traceparent = r.traceparent;
      const res = await raw(gw.url, {
        method: r.method,
        path: r.path,
        headers,
        ...(r.body !== undefined && r.method !== 'GET' && r.method !== 'HEAD' ? { body: r.body } : {}),
      });
      seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
      expect(res.status, `${r.method} ${r.path} → ${res.status} ${res.body.slice(0, 300)}`).toBeGreaterThan(
        0,
      );
      expect(res.status, `${r.method} ${r.path} → ${res.status} ${res.body.slice(0, 300)}`).toBeLessThan(500);
    }),
    { numRuns: RUNS, seed: SEED, endOnFailure: true },
  );
  // The run reached the deeper layers too, not only the authentication check.
  expect([...seen.keys()].some((s) => s === 202 || s === 200)).toBe(true);
  const live = await raw(gw.url, { path: '/health/live' });
  expect(live.status).toBe(200);
  const ok = await raw(gw.url, {
    method: 'POST',
    path: '/api/stargate/processes',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${acme}` },
    body: JSON.stringify({ processType: 'order', clientProcessId: 'after', data: orderData('after-fuzz') }),
  });
  expect(ok.status, ok.body).toBe(202);
}, 600_000);
