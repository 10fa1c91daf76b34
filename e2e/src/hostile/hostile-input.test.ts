/**
 * Hostile input against a real gateway (Redis, RabbitMQ): every attack gets a 4xx with a
 * problem+json body, never a 5xx, and the gateway keeps serving honest clients afterwards.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { orderData } from '../support/system.js';
import { type HostileGateway, raw, startHostileGateway } from './support.js';

let gw: HostileGateway;
let acme: string;

beforeAll(async () => {
  gw = await startHostileGateway();
  acme = await gw.token('acme');
});

afterAll(async () => {
  await gw?.close();
});

// After every test the gateway must still be alive and accept an honest submission.
afterEach(async () => {
  const live = await raw(gw.url, { path: '/health/live' });
  expect(live.status).toBe(200);
  const ok = await post(
    JSON.stringify({ processType: 'order', clientProcessId: 'honest', data: orderData('honest') }),
  );
  expect(ok.status, ok.body).toBe(202);
});

function post(body: string | Buffer, headers: Record<string, string> = {}, token: string | null = acme) {
  return raw(gw.url, {
    method: 'POST',
    path: '/api/stargate/processes',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body,
  });
}

function expectClientError(res: { status: number; body: string }, allowed: number[]) {
  expect(allowed, `${res.status} ${res.body.slice(0, 300)}`).toContain(res.status);
  if (res.status >= 400) {
    const problem = JSON.parse(res.body) as { error?: string; status?: number };
    expect(typeof problem.error).toBe('string');
  }
}

describe('malformed bodies', () => {
  it.each([
    ['truncated object', '{"processType":"order","data":'],
    ['bare word', 'nul'],
    ['trailing garbage', '{"processType":"order","data":{}} x'],
    ['NUL bytes', '{"processType":"order\u0000","data":{}}'],
    ['lone surrogate', '{"processType":"\\ud800","data":{}}'],
    ['empty body', ''],
    ['array instead of object', '[1,2,3]'],
    ['string instead of object', '"order"'],
    ['number overflow', '{"processType":"order","data":{"orderId":1e999999}}'],
    [
      '__proto__ pollution',
      '{"__proto__":{"admin":true},"processType":"order","data":{"constructor":{"prototype":{"x":1}}}}',
    ],
  ])('%s → 400', async (_name, body) => {
    // An unreadable type name may be refused as a type the token has no scope for.
    expectClientError(await post(body), [400, 403]);
  });

  it.each([65, 101, 3000, 10_000])(
    'JSON nesting %i levels → 400 naming the limit, before anything is accepted',
    async (depth) => {
      const data = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      const res = await post(`{"processType":"order","data":${data}}`);
      expect(res.status, res.body.slice(0, 200)).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ error: 'INVALID_REQUEST' });
      expect(res.body).toContain('nests deeper than 64 levels');
    },
  );

  it('deeply nested JSON (100 000 levels) → 4xx, no stack overflow', async () => {
    const depth = 100_000;
    const deepData = `{"processType":"order","data":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    expectClientError(await post(deepData), [400, 413]);
    const deepObject = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    expectClientError(await post(deepObject), [400, 413]);
  });
});

describe('content types and sizes', () => {
  it.each([
    ['text/plain'],
    ['application/xml'],
    ['multipart/form-data; boundary=x'],
    ['application/x-www-form-urlencoded'],
    ['application/json; charset=utf-16'],
    ['application/jsonp'],
  ])('%s → 4xx', async (contentType) => {
    const res = await post(
      JSON.stringify({ processType: 'order', clientProcessId: 'ct', data: orderData('ct') }),
      {
        'content-type': contentType,
      },
    );
    expectClientError(res, [400, 415]);
  });

  it('a 12 MB body is refused with 413 (or the connection closed), not buffered into a 5xx', async () => {
    const big = Buffer.alloc(12 * 1024 * 1024, 'a');
    const res = await post(
      Buffer.concat([Buffer.from('{"processType":"order","data":"'), big, Buffer.from('"}')]),
    );
    expect([0, 413]).toContain(res.status);
  });

  it("data over the type's maxPayloadBytes (256 KiB) → 413", async () => {
    const items = Array.from({ length: 400 }, (_, i) => ({
      sku: `S${i}`.padEnd(64, 'x'),
      quantity: 1,
      unitPrice: 1,
    }));
    const data = { ...orderData('big'), customerId: 'c'.repeat(128), items, filler: 'x'.repeat(300_000) };
    expectClientError(
      await post(JSON.stringify({ processType: 'order', clientProcessId: 'big', data })),
      [400, 413],
    );
  });
});

describe('unknown types and schema violations', () => {
  it.each([
    ['unknown type', { processType: 'launch-missiles', data: {} }, [400, 403, 404]],
    ['type with path characters', { processType: '../order', data: {} }, [400, 403, 404]],
    ['type not allowed for the tenant', { processType: 'invoice', data: {} }, [400, 403, 404]],
    ['missing data', { processType: 'order' }, [400]],
    ['wrong types', { processType: 'order', data: { orderId: 5, customerId: [], items: 'x' } }, [400]],
    ['extra property', { processType: 'order', data: { ...orderData('x'), admin: true } }, [400]],
    ['negative quantity', { processType: 'order', data: orderData('x', -1) }, [400]],
    ['empty items', { processType: 'order', data: { ...orderData('x'), items: [] } }, [400]],
    ['processType as object', { processType: { $ne: null }, data: {} }, [400]],
    [
      'idempotencyKey of 10 kB',
      { processType: 'order', data: orderData('x'), idempotencyKey: 'k'.repeat(10_000) },
      [400],
    ],
  ])('%s → 4xx', async (_name, body, allowed) => {
    // With the required clientProcessId, so the case reaches the check it is about.
    expectClientError(await post(JSON.stringify({ clientProcessId: 'x', ...body })), allowed as number[]);
  });

  it('a schema violation names the offending field', async () => {
    const res = await post(
      JSON.stringify({
        processType: 'order',
        clientProcessId: 'x',
        data: { ...orderData('x'), items: [{ sku: 'a' }] },
      }),
    );
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'INVALID_REQUEST' });
    expect(res.body).toContain('quantity');
  });
});

describe('headers and paths', () => {
  it('a correlation id carrying a header injection is not echoed', async () => {
    // node:http refuses CR/LF in header values, so the injection is tried as a long and odd value.
    for (const value of [
      'abc%0d%0aSet-Cookie:x=1',
      '<script>alert(1)</script>',
      'x'.repeat(5000),
      '../../etc',
      ' ',
    ]) {
      const res = await post(
        JSON.stringify({ processType: 'order', clientProcessId: 'cid', data: orderData('cid') }),
        {
          'x-correlation-id': value,
        },
      );
      expect(res.status).toBe(202);
      expect(res.headers['set-cookie']).toBeUndefined();
      const echoed = String(res.headers['x-correlation-id'] ?? '');
      expect(echoed).not.toBe(value);
      expect(echoed).toMatch(/^[A-Za-z0-9._:-]{8,128}$/);
    }
  });

  it('a raw CR/LF in a header is rejected at the HTTP layer, not by a crash', async () => {
    const { connect } = await import('node:net');
    const u = new URL(gw.url);
    const answer = await new Promise<string>((resolve) => {
      const s = connect(Number(u.port), u.hostname, () => {
        s.write(
          `GET /api/stargate/processes/x HTTP/1.1\r\nHost: a\r\nX-Correlation-Id: abc\rSet-Cookie: evil=1\r\n\r\n`,
        );
      });
      let buf = '';
      s.on('data', (d) => {
        buf += d.toString();
      });
      s.on('close', () => resolve(buf));
      s.on('error', () => resolve(buf));
      s.setTimeout(5000, () => s.destroy());
    });
    expect(answer).toMatch(/^HTTP\/1\.1 4\d\d/);
    expect(answer).not.toContain('evil=1');
  });

  it.each([
    '/api/stargate/processes/..%2F..%2Fetc%2Fpasswd',
    '/api/stargate/processes/../../../etc/passwd',
    '/api/stargate/processes/%00',
    '/api/stargate/processes/%E0%A4%A',
    `/api/stargate/processes/${'a'.repeat(5000)}`,
    '/api/stargate/processes/*',
    '/api/stargate/processes/%7B%22%24gt%22%3A%22%22%7D',
    '/api/stargate/processes/acme%3A*',
    '/api/stargate/processes/x/cancel/../../y',
    '/api/stargate/processes?status=%00&limit=-1&cursor=%FF',
    '/api/stargate/processes?limit=1e9&cursor=eyJ4IjoxfQ',
  ])('GET %s → 4xx', async (path) => {
    const res = await raw(gw.url, { path, headers: { authorization: `Bearer ${acme}` } });
    expect(res.status, res.body.slice(0, 200)).toBeGreaterThanOrEqual(400);
    expect(res.status, res.body.slice(0, 200)).toBeLessThan(500);
  });

  it('a query operator in the query string is ignored or refused, never applied', async () => {
    const res = await raw(gw.url, {
      path: '/api/stargate/processes?status[$ne]=x&processType[$regex]=.*',
      headers: { authorization: `Bearer ${acme}` },
    });
    expect([200, 400]).toContain(res.status);
    if (res.status === 200) {
      const page = JSON.parse(res.body) as { items: { status: string }[] };
      // Ignored: a plain list of the caller's processes, not one filtered by an operator.
      expect(Array.isArray(page.items)).toBe(true);
    }
  });

  it('Prefer: wait with hostile values does not hang or fail', async () => {
    for (const prefer of [
      'wait=-1',
      'wait=1e309',
      'wait=NaN',
      'wait=99999999999',
      'wait',
      'wait=1, wait=2',
    ]) {
      const res = await raw(gw.url, {
        path: '/api/stargate/processes/00000000-0000-4000-8000-000000000000',
        headers: { authorization: `Bearer ${acme}`, prefer },
      });
      expect([400, 404]).toContain(res.status);
    }
  });
});

describe('tokens', () => {
  const get = (token: string) =>
    raw(gw.url, { path: '/api/stargate/process-types', headers: { authorization: `Bearer ${token}` } });
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

  it('a correctly minted token works (the control for the cases below)', async () => {
    expect((await get(await gw.mint({}))).status).toBe(200);
  });

  it.each([
    ['expired', () => gw.mint({ exp: Math.floor(Date.now() / 1000) - 3600, iat: 1 })],
    ['wrong audience', () => gw.mint({ aud: 'someone-else' })],
    ['wrong issuer', () => gw.mint({ iss: 'https://evil.example' })],
    ['signed by another key with the same kid', () => gw.mint({}, { key: 'other' })],
    ['unknown tenant', () => gw.mint({ tid: 'nobody', sub: 'nobody-client' })],
    ['tenant/client mismatch', () => gw.mint({ tid: 'globex', sub: 'acme-client' })],
    ['suspended tenant', () => gw.mint({ tid: 'initech', sub: 'initech-client' })],
    ['no tid claim', () => gw.mint({ tid: undefined })],
    ['not yet valid', () => gw.mint({ nbf: Math.floor(Date.now() / 1000) + 3600 })],
    [
      'alg none',
      async () =>
        `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: 'http://stargate.hostile', aud: 'stargate-api', sub: 'acme-client', tid: 'acme', exp: 4e9 })}.`,
    ],
    [
      'HS256 keyed with the public JWK',
      async () => {
        const { SignJWT } = await import('jose');
        const jwks = (await (await fetch(`${gw.url}/.well-known/jwks.json`)).json()) as { keys: unknown[] };
        const secret = new TextEncoder().encode(JSON.stringify(jwks.keys[0]));
        return new SignJWT({
          tid: 'acme',
          sub: 'acme-client',
          iss: 'http://stargate.hostile',
          aud: 'stargate-api',
        })
          .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
          .setExpirationTime('1h')
          .sign(secret);
      },
    ],
    ['garbage', async () => 'not.a.jwt'],
    [
      'tampered payload',
      async () => {
        const [h, , s] = (await gw.mint({})).split('.');
        return `${h}.${b64({ tid: 'globex', sub: 'globex-client', aud: 'stargate-api', iss: 'http://stargate.hostile', exp: 4e9 })}.${s}`;
      },
    ],
    ['10 kB token', async () => 'a'.repeat(10_000)],
  ])('%s → 401', async (_name, make) => {
    const res = await get(await make());
    expectClientError(res, [401, 403]);
  });

  it('a suspended tenant gets no token and cannot submit with an old one', async () => {
    const res = await raw(gw.url, {
      method: 'POST',
      path: '/oauth/token',
      headers: {
        authorization: `Basic ${Buffer.from('initech-client:acme-dev-secret-change-me').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    const token = await gw.mint({ tid: 'initech', sub: 'initech-client' });
    const submit = await post(
      JSON.stringify({ processType: 'order', clientProcessId: 's', data: orderData('s') }),
      {},
      token,
    );
    expectClientError(submit, [401, 403]);
  });

  it.each([
    ['Basic with no colon', `Basic ${Buffer.from('acme-client').toString('base64')}`],
    ['Basic garbage', 'Basic %%%'],
    ['Bearer twice', `Bearer a Bearer b`],
    ['lowercase scheme only', 'bearer'],
  ])('authorization %s → 401', async (_name, authorization) => {
    const res = await post(
      JSON.stringify({ processType: 'order', clientProcessId: 'a', data: orderData('a') }),
      { authorization },
      null,
    );
    expectClientError(res, [401]);
  });

  it.each([
    ['unknown grant', 'grant_type=password&username=a&password=b'],
    ['no grant', ''],
    ['refresh garbage', 'grant_type=refresh_token&refresh_token=xyz'],
  ])('token endpoint: %s → 4xx', async (_name, body) => {
    const res = await raw(gw.url, {
      method: 'POST',
      path: '/oauth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });
});

describe('what anonymous callers learn (issue 16, Low)', () => {
  it('the authorization server metadata lists no process types', async () => {
    const res = await raw(gw.url, { path: '/.well-known/oauth-authorization-server' });
    expect(res.status).toBe(200);
    const meta = JSON.parse(res.body) as Record<string, unknown>;
    expect(meta.scopes_supported).toBeUndefined();
    expect(res.body).not.toContain('process:');
  });

  it('/openapi.json shows process type schemas only to a token, and only its own types', async () => {
    const anonymous = JSON.parse((await raw(gw.url, { path: '/openapi.json' })).body) as {
      components: { schemas: Record<string, unknown> };
      'x-process-types': Record<string, unknown>;
    };
    expect(anonymous['x-process-types']).toEqual({});
    expect(Object.keys(anonymous.components.schemas).some((k) => k.endsWith('.request'))).toBe(false);
    const globex = await gw.token('globex');
    const own = JSON.parse(
      (await raw(gw.url, { path: '/openapi.json', headers: { authorization: `Bearer ${globex}` } })).body,
    ) as { 'x-process-types': Record<string, unknown> };
    // globex may use order only; acme's shipping stays unknown to it.
    expect(Object.keys(own['x-process-types'])).toEqual(['order']);
  });
});
