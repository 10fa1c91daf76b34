/**
 * What a client learns when a handler fails unexpectedly. An exception that is not a
 * HandlerError is a bug in the handler, and its message is whatever the code it called wrote:
 * internal addresses, connection strings, file paths. The tenant sees `HANDLER_ERROR` with a
 * fixed message; the full error is in the server's log, under the correlation id.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defineHandler } from '@stargate/server';
import { orderData } from '../support/system.js';
import { type HostileGateway, raw, startHostileGateway } from './support.js';

const INTERNALS =
  'connect ECONNREFUSED 10.12.0.7:27017 (mongodb://orders-admin:s3cret@orders-db.internal/orders)';

let gw: HostileGateway;
let acme: string;

beforeAll(async () => {
  gw = await startHostileGateway({
    handlers: [
      defineHandler({
        type: 'order',
        async handle() {
          throw new Error(INTERNALS);
        },
      }),
    ],
  });
  acme = await gw.token('acme');
});

afterAll(async () => {
  await gw?.close();
});

it("an unexpected handler exception fails the process without showing the exception's message", async () => {
  const auth = { authorization: `Bearer ${acme}` };
  const submit = await raw(gw.url, {
    method: 'POST',
    path: '/api/stargate/processes',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ processType: 'order', clientProcessId: 'leak', data: orderData('leak') }),
  });
  expect(submit.status, submit.body).toBe(202);
  const { processId } = JSON.parse(submit.body) as { processId: string };
  let body = '';
  for (let i = 0; i < 100; i++) {
    const res = await raw(gw.url, {
      path: `/api/stargate/processes/${processId}`,
      headers: { ...auth, prefer: 'wait=5' },
    });
    body = res.body;
    if ((JSON.parse(body) as { status: string }).status === 'failed') break;
  }
  const state = JSON.parse(body) as { status: string; error?: { code: string; message: string } };
  expect(state.status).toBe('failed');
  expect(state.error?.code).toBe('HANDLER_ERROR');
  expect(state.error?.message).toBeTruthy();
  for (const secret of ['10.12.0.7', 's3cret', 'orders-db.internal', 'ECONNREFUSED'])
    expect(body).not.toContain(secret);
  // Listing shows the same process the same way.
  const list = await raw(gw.url, { path: '/api/stargate/processes?limit=5', headers: auth });
  expect(list.status).toBe(200);
  expect(list.body).toContain(processId);
  expect(list.body).not.toContain('s3cret');
}, 60_000);
