/**
 * Path edges a client hits by accident: a process id between fastify's own parameter limit
 * (100 characters) and the contract's (128) was answered "The request URL is malformed", and
 * a longer one too, instead of an answer naming the id; the list with a trailing slash was 404.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
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

const get = (path: string) => raw(gw.url, { path, headers: { authorization: `Bearer ${acme}` } });

it('an id of 101 to 128 characters is an unknown process (404), a longer one a 400 naming the id', async () => {
  for (const length of [101, 128]) {
    const res = await get(`/api/stargate/processes/${'A'.repeat(length)}`);
    expect(res.status, `${length} characters`).toBe(404);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'NOT_FOUND' });
  }
  for (const [length, suffix] of [
    [129, ''],
    [500, ''],
    [129, '/cancel'],
  ] as const) {
    const res = await raw(gw.url, {
      method: suffix ? 'POST' : 'GET',
      path: `/api/stargate/processes/${'A'.repeat(length)}${suffix}`,
      headers: { authorization: `Bearer ${acme}` },
    });
    expect(res.status, `${length}${suffix}`).toBe(400);
    const body = JSON.parse(res.body) as { error: string; message: string };
    expect(body.error).toBe('INVALID_REQUEST');
    expect(body.message).toMatch(/^Invalid path parameter id: /);
  }
});

it('the process list answers with and without a trailing slash', async () => {
  for (const path of ['/api/stargate/processes', '/api/stargate/processes/']) {
    const res = await get(`${path}?limit=1`);
    expect(res.status, path).toBe(200);
    expect(JSON.parse(res.body)).toHaveProperty('items');
  }
});
