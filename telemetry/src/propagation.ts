import {
  type Context,
  context,
  ROOT_CONTEXT,
  type Span,
  type TextMapGetter,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { randomHex } from './random-hex.js';

/*
 * W3C trace context over HTTP and AMQP: the one implementation the gateway and the server use.
 * Our own propagator instance rather than the global one: the global propagator is a no-op
 * until startTracing registers a provider, and trace context must be read and forwarded
 * whether spans are recorded or not.
 */
const propagator = new W3CTraceContextPropagator();

/** The W3C headers of one hop. */
export interface TraceHeaders {
  traceparent: string;
  tracestate?: string;
}

/** HTTP header values as Node has them, or AMQP header values (strings, or bytes). */
type Carrier = Record<string, unknown>;

function headerText(value: unknown): string | string[] | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  // A repeated HTTP header: the propagator takes the first traceparent and joins tracestates.
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  return undefined;
}

const getter: TextMapGetter<Carrier> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => headerText(carrier[key] ?? carrier[key.toLowerCase()]),
};

/** The caller's context from HTTP request headers; the root context when absent or invalid. */
export function extractHttpContext(headers: Record<string, string | string[] | undefined>): Context {
  return propagator.extract(ROOT_CONTEXT, headers, getter);
}

/** The publisher's context from AMQP message headers; the root context when absent or invalid. */
export function extractAmqpContext(headers: Record<string, unknown> | undefined): Context {
  return headers ? propagator.extract(ROOT_CONTEXT, headers, getter) : ROOT_CONTEXT;
}

/** The headers naming the span of `ctx` as the parent, or undefined when it holds no valid span. */
export function injectTraceHeaders(ctx: Context): TraceHeaders | undefined {
  const carrier: Record<string, string> = {};
  propagator.inject(ctx, carrier, {
    set: (c, key, value) => {
      c[key] = value;
    },
  });
  if (!carrier.traceparent) return undefined;
  return {
    traceparent: carrier.traceparent,
    ...(carrier.tracestate ? { tracestate: carrier.tracestate } : {}),
  };
}

/** The headers for a message sent now, under the active span (only a registered context manager has one). */
export function activeTraceHeaders(): TraceHeaders | undefined {
  return injectTraceHeaders(context.active());
}

/**
 * The headers for what `span` sends on: the span's own context, or, when it is invalid (no
 * parent and no provider), whatever `parent` carries. Without a tracing SDK the span is a
 * non-recording one holding the parent's context, so the trace still continues.
 */
export function spanTraceHeaders(span: Span, parent: Context): TraceHeaders | undefined {
  const own = trace.isSpanContextValid(span.spanContext());
  return injectTraceHeaders(own ? trace.setSpan(parent, span) : parent);
}

/** Whether `span` is a span of our own (a provider is registered), not just the parent passed through. */
export function isOwnSpan(span: Span, parent: Context): boolean {
  const sc = span.spanContext();
  return trace.isSpanContextValid(sc) && sc.spanId !== trace.getSpanContext(parent)?.spanId;
}

function randomId(bytes: number): string {
  for (;;) {
    const id = randomHex(bytes);
    // An all-zero id is invalid (W3C); one in 2^64 draws, but never send one.
    if (!/^0+$/.test(id)) return id;
  }
}

/**
 * Headers for a hop of our own when no span is recorded (tracing off): a fresh parent id under
 * the caller's trace, keeping its sampled flag and tracestate; with no valid caller context,
 * a new unsampled trace.
 */
export function childTraceHeaders(parent: Context): TraceHeaders {
  const caller = trace.getSpanContext(parent);
  const valid = caller !== undefined && trace.isSpanContextValid(caller);
  const child = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: valid ? caller.traceId : randomId(16),
    spanId: randomId(8),
    traceFlags: valid ? caller.traceFlags & TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: false,
    ...(valid && caller.traceState ? { traceState: caller.traceState } : {}),
  });
  // Always defined: the context holds a valid span context and nothing suppresses tracing.
  return injectTraceHeaders(child) as TraceHeaders;
}
