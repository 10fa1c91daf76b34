import { propagation, type TextMapPropagator } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeClock } from '../testing/fake-clock.js';
import { startTestGateway, tokenReply } from '../testing/test-gateway.js';
import { createHttpClient } from './http-client.js';

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

afterEach(() => {
  propagation.disable();
});

describe('http client', () => {
  it('sends a correlation id and the host application trace context on every call', async () => {
    // Stands in for the host's OpenTelemetry SDK: whatever its propagator writes goes on the wire.
    const propagator: TextMapPropagator = {
      inject: (_ctx, carrier, setter) => setter.set(carrier, 'traceparent', TRACEPARENT),
      extract: (ctx) => ctx,
      fields: () => ['traceparent'],
    };
    propagation.setGlobalPropagator(propagator);
    const gw = await startTestGateway((req) =>
      req.path === '/oauth/token' ? tokenReply(1) : { status: 200, body: { items: [] } },
    );
    try {
      const http = createHttpClient({
        baseUrl: gw.url,
        clock: createFakeClock(0),
        tokens: { token: async () => 'token-1', invalidate: () => undefined },
      });
      const res = await http.request({
        method: 'GET',
        path: '/api/stargate/processes',
        correlationId: 'corr-12345678',
      });
      expect(res.status).toBe(200);
      const sent = gw.requests[0]!;
      expect(sent.headers.traceparent).toBe(TRACEPARENT);
      expect(sent.headers['x-correlation-id']).toBe('corr-12345678');
      expect(sent.headers.authorization).toBe('Bearer token-1');
    } finally {
      await gw.close();
    }
  });

  it('gives every call a deadline: a hanging gateway becomes a transient timeout error', async () => {
    const gw = await startTestGateway(() => new Promise(() => undefined));
    try {
      const http = createHttpClient({
        baseUrl: gw.url,
        clock: createFakeClock(0),
        tokens: { token: async () => 't', invalidate: () => undefined },
        timeoutMs: 200,
      });
      await expect(http.request({ method: 'GET', path: '/x' })).rejects.toMatchObject({
        name: 'TransientError',
        message: expect.stringContaining('timed out'),
      });
    } finally {
      await gw.close();
    }
  });
});
