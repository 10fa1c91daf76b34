import { INVALID_SPAN_CONTEXT, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import {
  childTraceHeaders,
  extractAmqpContext,
  extractHttpContext,
  injectTraceHeaders,
  spanTraceHeaders,
} from './propagation.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const VALID = `00-${TRACE_ID}-${PARENT_ID}-01`;

describe('W3C trace context over HTTP and AMQP', () => {
  it('reads an HTTP traceparent and tracestate and writes them back unchanged', () => {
    const ctx = extractHttpContext({ traceparent: VALID, tracestate: 'vendor=abc' });
    expect(trace.getSpanContext(ctx)).toMatchObject({ traceId: TRACE_ID, spanId: PARENT_ID, isRemote: true });
    expect(injectTraceHeaders(ctx)).toEqual({ traceparent: VALID, tracestate: 'vendor=abc' });
  });

  it('reads AMQP headers whether the broker hands them over as strings or as bytes', () => {
    for (const headers of [{ traceparent: VALID }, { traceparent: Buffer.from(VALID) }]) {
      expect(trace.getSpanContext(extractAmqpContext(headers))?.traceId).toBe(TRACE_ID);
    }
    expect(extractAmqpContext(undefined)).toBe(ROOT_CONTEXT);
  });

  it.each([
    ['all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['all-zero parent id', `00-${TRACE_ID}-0000000000000000-01`],
    ['version ff', `ff-${TRACE_ID}-${PARENT_ID}-01`],
    ['short trace id', `00-${TRACE_ID.slice(2)}-${PARENT_ID}-01`],
    ['trailing data on version 00', `${VALID}-extra`],
    ['not a string', 42],
  ])('ignores a traceparent with %s', (_name, header) => {
    expect(trace.getSpanContext(extractAmqpContext({ traceparent: header }))).toBeUndefined();
    expect(injectTraceHeaders(extractAmqpContext({ traceparent: header }))).toBeUndefined();
  });

  it('accepts future versions with extra fields', () => {
    const ctx = extractHttpContext({ traceparent: `01-${TRACE_ID}-${PARENT_ID}-00-abc` });
    expect(trace.getSpanContext(ctx)?.traceFlags).toBe(0);
  });

  it('continues the caller trace with a hop of our own when no span is recorded', () => {
    const got = childTraceHeaders(extractHttpContext({ traceparent: VALID, tracestate: 'vendor=abc' }));
    const [version, traceId, parentId, flags] = got.traceparent.split('-');
    expect([version, traceId, flags]).toEqual(['00', TRACE_ID, '01']);
    expect(parentId).toMatch(/^[0-9a-f]{16}$/);
    expect(parentId).not.toBe(PARENT_ID);
    expect(got.tracestate).toBe('vendor=abc');
  });

  it('starts a fresh, unsampled trace for a caller without a valid traceparent', () => {
    const a = childTraceHeaders(extractHttpContext({ traceparent: 'garbage', tracestate: 'vendor=abc' }));
    const b = childTraceHeaders(ROOT_CONTEXT);
    expect(a).toEqual({ traceparent: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/) });
    expect(b.traceparent.split('-')[1]).not.toBe(a.traceparent.split('-')[1]);
  });

  it('names a non-recording span by its parent, and sends nothing without any context', () => {
    const parent = extractAmqpContext({ traceparent: VALID });
    const passThrough = trace.wrapSpanContext(trace.getSpanContext(parent) as never);
    expect(spanTraceHeaders(passThrough, parent)).toEqual({ traceparent: VALID });
    expect(spanTraceHeaders(trace.wrapSpanContext(INVALID_SPAN_CONTEXT), parent)).toEqual({
      traceparent: VALID,
    });
    expect(spanTraceHeaders(trace.wrapSpanContext(INVALID_SPAN_CONTEXT), ROOT_CONTEXT)).toBeUndefined();
  });
});
