/**
 * The published contract (contracts/schemas, API version in /openapi.json) against real answers
 * of a running gateway backed by a real server worker: every status a process can have, and
 * every error path, validated with the same JSON Schemas the SDK's types come from.
 */
import { createContractValidator, PUBLIC_API_VERSION, type WireBody } from '@stargate/contracts';
import { eventually } from '@stargate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.js';
import { exampleConfig, type HttpAnswer, http, orderData, submit, waitTerminal } from '../support/system.js';

const contract = createContractValidator();
let stack: Stack;
let url: string;
let acme: string;

/** The answer is a valid `body` of the contract (the message lists every violation). */
function expectBody(res: HttpAnswer, body: WireBody): void {
  expect(contract.check(body, res.body), `${res.status} ${res.text.slice(0, 400)}`).toBeUndefined();
}

function expectError(res: HttpAnswer, status: number, error: string): void {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expectBody(res, 'Error');
  expect(res.body).toMatchObject({ error });
}

beforeAll(async () => {
  stack = await startStack({ ...(await exampleConfig()), gateways: 1, workers: 1 });
  url = stack.gatewayUrls[0]!;
  acme = await stack.token('acme');
});

afterAll(async () => {
  await stack?.close();
});

describe('process bodies', () => {
  it('answers submit → processing → completed with the specified bodies', async () => {
    const res = await submit(url, acme, 'order', orderData('CT-1', 2, { delayMs: 1500 }), {
      clientProcessId: 'CT-1',
    });
    expect(res.status).toBe(202);
    expectBody(res, 'SubmitAccepted');
    const accepted = res.body as unknown as {
      processId: string;
      statusUrl: string;
      estimatedCompletionTime: string;
    };
    expect(accepted.processId).toMatch(/^PROC-\d{8}-\d{5,}$/);
    expect(accepted.statusUrl).toBe(`/api/stargate/processes/${accepted.processId}`);
    expect(res.headers.get('location')).toBe(`${url}${accepted.statusUrl}`);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);

    const processing = await eventually(
      async () => {
        const r = await http<{ status: string }>(`${url}${accepted.statusUrl}`, { token: acme });
        return r.body.status === 'processing' ? r : undefined;
      },
      30_000,
      50,
    );
    expectBody(processing, 'ProcessStatus');
    expect(processing.body).toMatchObject({
      clientProcessId: 'CT-1',
      progress: expect.any(Number),
      currentStep: expect.any(String),
      result: null,
      estimatedCompletionTime: accepted.estimatedCompletionTime,
    });

    const done = await waitTerminal(url, acme, accepted.processId);
    const completed = await http(`${url}${accepted.statusUrl}`, { token: acme });
    expectBody(completed, 'ProcessStatus');
    expect(done.status).toBe('completed');
    expect(completed.body).toMatchObject({
      progress: 100,
      result: { orderId: 'CT-1' },
      completedAt: expect.any(String),
      estimatedCompletionTime: accepted.estimatedCompletionTime,
    });
  });

  it('answers a failing order with failedAt and a top-level retryable', async () => {
    const res = await submit(url, acme, 'order', orderData('CT-F', 500), { clientProcessId: 'CT-F' });
    expect(res.status).toBe(202);
    const { processId } = res.body as unknown as { processId: string };
    await waitTerminal(url, acme, processId);
    const failed = await http(`${url}/api/stargate/processes/${processId}`, { token: acme });
    expectBody(failed, 'ProcessStatus');
    expect(failed.body).toMatchObject({
      status: 'failed',
      error: { code: 'INVENTORY_INSUFFICIENT', details: { sku: 'W-1', requested: 500 } },
      failedAt: expect.any(String),
      retryable: expect.any(Boolean),
    });
    expect(failed.body).not.toHaveProperty('completedAt');
  });

  it('answers a cancelled process, the cancel command and the list with the contract bodies', async () => {
    const res = await submit(url, acme, 'order', orderData('CT-C', 1, { delayMs: 20_000 }), {
      clientProcessId: 'CT-C',
    });
    const { processId } = res.body as unknown as { processId: string };
    const cancel = await http(`${url}/api/stargate/processes/${processId}/cancel`, {
      method: 'POST',
      token: acme,
    });
    expect(cancel.status).toBe(202);
    expectBody(cancel, 'CommandAccepted');
    const cancelled = await waitTerminal(url, acme, processId);
    expect(cancelled.status).toBe('cancelled');
    expect(contract.check('ProcessStatus', cancelled)).toBeUndefined();

    const list = await http<{ items: unknown[] }>(`${url}/api/stargate/processes?limit=10`, { token: acme });
    expect(list.status).toBe(200);
    expectBody(list, 'ProcessList');
    expect(list.body.items.length).toBeGreaterThanOrEqual(3);
  });
});

describe('error bodies', () => {
  it('answers a submit without clientProcessId with the specified 400', async () => {
    const res = await http(`${url}/api/stargate/processes`, {
      token: acme,
      body: { processType: 'order', data: orderData('CT-400') },
    });
    expectError(res, 400, 'INVALID_REQUEST');
    expect(res.body).toMatchObject({ message: 'Missing required field: clientProcessId' });
  });

  it('answers every other refusal with {error, message, timestamp}', async () => {
    const order = { processType: 'order', clientProcessId: 'CT-E', data: orderData('CT-E') };
    expectError(await http(`${url}/api/stargate/processes`, { body: order }), 401, 'INVALID_TOKEN');
    const badToken = await http(`${url}/api/stargate/processes`, { token: 'not-a-token', body: order });
    expectError(badToken, 401, 'INVALID_TOKEN');
    expect(badToken.body).toMatchObject({ message: 'Token expired or invalid' });
    expect(badToken.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    const globex = await stack.token('globex');
    const forbidden = await http(`${url}/api/stargate/processes`, {
      token: globex,
      body: { processType: 'shipping', clientProcessId: 'CT-S', data: {} },
    });
    expectError(forbidden, 403, 'INSUFFICIENT_PERMISSIONS');
    expect((forbidden.body as { message: string }).message).toMatch(/^ProcessType not authorized/);
    expect(forbidden.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_scope", scope="process:shipping:submit"',
    );
    expectError(
      await http(`${url}/api/stargate/processes/PROC-20200101-00001`, { token: acme }),
      404,
      'NOT_FOUND',
    );
    expectError(
      await http(`${url}/api/stargate/processes`, {
        token: acme,
        body: 'x',
        headers: { 'content-type': 'text/plain' },
      }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectError(
      await http(`${url}/api/stargate/processes`, { token: acme, body: { ...order, data: { orderId: 1 } } }),
      400,
      'INVALID_REQUEST',
    );
    const key = `ct-key-${Date.now()}`;
    expect(
      (await http(`${url}/api/stargate/processes`, { token: acme, body: { ...order, idempotencyKey: key } }))
        .status,
    ).toBe(202);
    expectError(
      await http(`${url}/api/stargate/processes`, {
        token: acme,
        body: { ...order, clientProcessId: 'other', idempotencyKey: key },
      }),
      422,
      'IDEMPOTENCY_KEY_REUSED',
    );
    const done = await http<{ processId: string }>(`${url}/api/stargate/processes`, {
      token: acme,
      body: { ...order, idempotencyKey: key },
    });
    await waitTerminal(url, acme, done.body.processId);
    expectError(
      await http(`${url}/api/stargate/processes/${done.body.processId}/cancel`, {
        method: 'POST',
        token: acme,
      }),
      409,
      'INVALID_STATE',
    );
  });

  it('answers 429 with retryAfter and a Retry-After header', async () => {
    // Globex: burst 20 (examples/tenant-globex.yaml).
    const globex = await stack.token('globex');
    const answers = await Promise.all(
      Array.from({ length: 40 }, () =>
        http(`${url}/api/stargate/processes/PROC-20200101-00002`, { token: globex }),
      ),
    );
    const limited = answers.find((a) => a.status === 429);
    expect(limited, answers.map((a) => a.status).join(',')).toBeDefined();
    expectError(limited!, 429, 'RATE_LIMIT_EXCEEDED');
    expect(limited!.body).toMatchObject({
      retryAfter: expect.any(Number),
      // The specification's wording; globex: 120 requests per minute.
      message: 'Request rate limit exceeded (120 req/min)',
    });
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('hostile but valid-looking requests', () => {
  it('refuses a wrongly typed field instead of converting it, naming the field', async () => {
    const order = { processType: 'order', clientProcessId: 'CT-T', data: orderData('CT-T') };
    for (const [field, value] of [
      ['clientProcessId', 5],
      ['idempotencyKey', 5],
      ['processType', true],
    ] as const) {
      const res = await http(`${url}/api/stargate/processes`, {
        token: acme,
        body: { ...order, [field]: value },
      });
      expectError(res, 400, 'INVALID_REQUEST');
      expect(res.body).toMatchObject({ message: `Invalid field ${field}: must be string` });
    }
    // No body at all: a missing request (400), not a wrong media type.
    const empty = await http(`${url}/api/stargate/processes`, { method: 'POST', token: acme });
    expectError(empty, 400, 'INVALID_REQUEST');
    expect(empty.body).toMatchObject({ message: 'The body is empty' });
    const notObject = await http(`${url}/api/stargate/processes`, { token: acme, body: [order] });
    expectError(notObject, 400, 'INVALID_REQUEST');
    expect(notObject.body).toMatchObject({ message: 'The body must be object' });
  });

  it('refuses list parameters it does not know or cannot use with a 400 naming them', async () => {
    for (const [query, message] of [
      ['offset=10', 'Unknown query parameter: offset'],
      ['limit=0', 'Invalid query parameter limit: must be >= 1'],
      ['limit=-5', 'Invalid query parameter limit: must be >= 1'],
      ['limit=101', 'Invalid query parameter limit: must be <= 100'],
      ['limit=99999999999999999999', 'Invalid query parameter limit: must be <= 100'],
      ['limit=abc', 'Invalid query parameter limit: must be integer'],
      ['limit=1&limit=2', 'Invalid query parameter limit: must be integer'],
      ['status=done', 'Invalid query parameter status: must be equal to one of the allowed values'],
    ]) {
      const res = await http(`${url}/api/stargate/processes?${query}`, { token: acme });
      expectError(res, 400, 'INVALID_REQUEST');
      expect(res.body, query).toMatchObject({ message });
    }
    const page = await http(`${url}/api/stargate/processes?limit=1&status=completed`, { token: acme });
    expect(page.status).toBe(200);
    expectBody(page, 'ProcessList');
  });

  it('refuses a malformed process id in the path with a 400, never a 500', async () => {
    for (const id of ['..%2F..%2Fetc', 'PROC%00', '%F0%9F%98%80', 'a%20b']) {
      const res = await http(`${url}/api/stargate/processes/${id}`, { token: acme });
      expectError(res, 400, 'INVALID_REQUEST');
    }
  });

  it('answers a method a path does not take with 405 and Allow, an unknown path with 404', async () => {
    for (const [method, path, allow] of [
      ['DELETE', '/api/stargate/processes/PROC-20200101-00001', 'GET, HEAD'],
      ['PUT', '/api/stargate/processes', 'GET, HEAD, POST'],
      ['GET', '/api/stargate/processes/PROC-20200101-00001/cancel', 'POST'],
    ] as const) {
      const res = await http(`${url}${path}`, { method, token: acme });
      expectError(res, 405, 'METHOD_NOT_ALLOWED');
      expect(res.headers.get('allow'), `${method} ${path}`).toBe(allow);
    }
    expectError(
      await http(`${url}/api/stargate/processes/PROC-20200101-00001/bogus`, { method: 'POST', token: acme }),
      404,
      'NOT_FOUND',
    );
  });

  it('refuses a process type it does not know, whatever its characters, with 403 and no header from it', async () => {
    for (const processType of ['nope', 'x\r\nSet-Cookie: a=b', 'ä"; scope="all']) {
      const res = await http(`${url}/api/stargate/processes`, {
        token: acme,
        body: { processType, clientProcessId: 'CT-X', data: {} },
      });
      expectError(res, 403, 'INSUFFICIENT_PERMISSIONS');
      expect(res.headers.get('set-cookie')).toBeNull();
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="insufficient_scope"/);
    }
    const listed = await http(`${url}/api/stargate/processes?processType=${encodeURIComponent('a\r\nb')}`, {
      token: acme,
    });
    expectError(listed, 403, 'INSUFFICIENT_PERMISSIONS');
  });

  it('keeps a unicode idempotency key and replays its first answer', async () => {
    const key = `schlüssel-✓-${Date.now()}`;
    const order = {
      processType: 'order',
      clientProcessId: 'CT-U',
      data: orderData('CT-U'),
      idempotencyKey: key,
    };
    const first = await http<{ processId: string }>(`${url}/api/stargate/processes`, {
      token: acme,
      body: order,
    });
    expect(first.status).toBe(202);
    const again = await http<{ processId: string }>(`${url}/api/stargate/processes`, {
      token: acme,
      body: order,
    });
    expect(again.status).toBe(202);
    expect(again.body.processId).toBe(first.body.processId);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
  });
});

describe('the OAuth token endpoint (RFC 6749)', () => {
  const tokenUrl = () => `${url}/oauth/token`;
  const basic = () => {
    const c = stack.credentials.find((x) => x.tenantId === 'acme')!;
    return `Basic ${Buffer.from(`${c.clientId}:${c.clientSecret}`).toString('base64')}`;
  };
  const form = (body: string, headers: Record<string, string> = {}) =>
    http<Record<string, unknown>>(tokenUrl(), {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    });
  function expectOAuthError(res: HttpAnswer<Record<string, unknown>>, status: number, error: string): void {
    expect(res.status, res.text).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toMatchObject({ error, error_description: expect.any(String) });
  }

  it('issues a bearer token to client_secret_basic and client_secret_post', async () => {
    const c = stack.credentials.find((x) => x.tenantId === 'acme')!;
    for (const res of [
      await form('grant_type=client_credentials', { authorization: basic() }),
      await form(
        new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: c.clientId,
          client_secret: c.clientSecret,
          scope: 'process:order:read',
        }).toString(),
      ),
    ]) {
      expect(res.status, res.text).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('pragma')).toBe('no-cache');
      expect(res.body).toMatchObject({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 3600,
        scope: expect.stringContaining('process:order:read'),
      });
    }
  });

  it('answers every refusal with the RFC 6749 error and status', async () => {
    const wrong = `Basic ${Buffer.from('acme-client:wrong').toString('base64')}`;
    const badBasic = await form('grant_type=client_credentials', { authorization: wrong });
    expectOAuthError(badBasic, 401, 'invalid_client');
    expect(badBasic.headers.get('www-authenticate')).toMatch(/^Basic /);
    expectOAuthError(await form('grant_type=client_credentials'), 401, 'invalid_client');
    expectOAuthError(
      await form('grant_type=password', { authorization: basic() }),
      400,
      'unsupported_grant_type',
    );
    expectOAuthError(await form('', { authorization: basic() }), 400, 'invalid_request');
    expectOAuthError(
      await form('grant_type=client_credentials&grant_type=client_credentials', { authorization: basic() }),
      400,
      'invalid_request',
    );
    expectOAuthError(
      await form('grant_type=client_credentials&scope=process:nope:read', { authorization: basic() }),
      400,
      'invalid_scope',
    );
    expectOAuthError(
      await form('grant_type=refresh_token&refresh_token=not-issued', { authorization: basic() }),
      400,
      'invalid_grant',
    );
    expectOAuthError(
      await form('grant_type=client_credentials', { authorization: basic(), 'content-type': 'text/plain' }),
      400,
      'invalid_request',
    );
    expectOAuthError(
      await form('<x/>', { authorization: basic(), 'content-type': 'application/xml' }),
      415,
      'invalid_request',
    );
    // RFC 6749 §3.2: POST only.
    const get = await http<Record<string, unknown>>(tokenUrl());
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });
});

describe('the served OpenAPI document', () => {
  it('states the API version and uses the contract schemas', async () => {
    const doc = await http<{ info: { version: string }; paths: Record<string, Record<string, unknown>> }>(
      `${url}/openapi.json`,
    );
    expect(doc.body.info.version).toBe(PUBLIC_API_VERSION);
    const post = doc.body.paths['/api/stargate/processes']?.post as {
      requestBody: { content: Record<string, { schema: { required: string[] } }> };
    };
    expect(post.requestBody.content['application/json']?.schema.required).toContain('clientProcessId');
  });
});
