import { randomBytes } from 'node:crypto';
import { eventually } from '@stargate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessToken, startTestBed, submit, type TestBed } from '../testing/fixtures.js';

// No tracer provider is registered in this file: the gateway must forward the caller's trace by
// hand, as it did before it made spans (the traced path is tested in server/src/observability).
describe('trace context without a tracing SDK', () => {
  let bed: TestBed;
  beforeAll(async () => {
    bed = await startTestBed();
  });
  afterAll(async () => bed?.close());

  it("forwards the caller's trace id and sampled flag under a new parent id, and tracestate as given", async () => {
    const token = await accessToken(bed.gw.url, 'alpha');
    const traceId = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    const res = await submit(
      bed.gw.url,
      token,
      { processType: 'order', data: { sku: 'T', quantity: 1 } },
      { traceparent: `00-${traceId}-${callerSpan}-01`, tracestate: 'vendor=abc' },
    );
    expect(res.status).toBe(202);
    const { processId } = (await res.json()) as { processId: string };
    const got = await eventually(() => bed.server.requests.find((r) => r.event.data.processId === processId));
    const [version, forwardedTrace, parent, flags] = String(got.headers.traceparent).split('-');
    expect([version, forwardedTrace, flags]).toEqual(['00', traceId, '01']);
    expect(parent).toMatch(/^[0-9a-f]{16}$/);
    expect(parent).not.toBe(callerSpan);
    expect(got.headers.tracestate).toBe('vendor=abc');
  });

  it('starts a fresh, unsampled trace id for a caller without traceparent', async () => {
    const token = await accessToken(bed.gw.url, 'alpha');
    const res = await submit(bed.gw.url, token, { processType: 'order', data: { sku: 'U', quantity: 1 } });
    const { processId } = (await res.json()) as { processId: string };
    const got = await eventually(() => bed.server.requests.find((r) => r.event.data.processId === processId));
    expect(String(got.headers.traceparent)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  });
});
