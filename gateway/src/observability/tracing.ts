import {
  type Attributes,
  type Context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/*
 * The gateway's spans. Without a registered tracer provider the API hands out non-recording
 * spans that merely carry their parent's context; then nothing here changes a header and the
 * hand-made traceparent of request-context.ts goes on, exactly as before tracing existed.
 */

// Our own instance rather than the global one: the global propagator is a no-op until a
// provider is registered, and the incoming context must be read either way.
const propagator = new W3CTraceContextPropagator();
const tracer = () => trace.getTracer('@stargate/gateway');

/**
 * Whether a tracer provider is registered. Without one, requests skip span bookkeeping
 * altogether and forward the hand-made trace context (request-context.ts).
 */
export function tracingEnabled(): boolean {
  const provider = trace.getTracerProvider();
  return (
    !(provider instanceof ProxyTracerProvider) ||
    provider.getDelegateTracer('@stargate/gateway') !== undefined
  );
}

export interface TraceHeaders {
  traceparent: string;
  tracestate?: string;
}

/** The caller's trace context from the W3C headers of an HTTP request (root when absent or invalid). */
export function extractHttpContext(headers: Record<string, string | string[] | undefined>): Context {
  return propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
}

/** Whether `span` is a span of our own (a provider is registered), not just the parent passed through. */
function isOwnSpan(span: Span, parent: Context): boolean {
  const sc = span.spanContext();
  return trace.isSpanContextValid(sc) && sc.spanId !== trace.getSpanContext(parent)?.spanId;
}

/** The W3C headers naming `span` as the parent, or undefined when `span` is not our own. */
export function traceHeadersOf(span: Span, parent: Context): TraceHeaders | undefined {
  if (!isOwnSpan(span, parent)) return undefined;
  const carrier: Record<string, string> = {};
  propagator.inject(trace.setSpan(parent, span), carrier, defaultTextMapSetter);
  return carrier.traceparent
    ? { traceparent: carrier.traceparent, ...(carrier.tracestate ? { tracestate: carrier.tracestate } : {}) }
    : undefined;
}

export function startServerSpan(name: string, parent: Context, attributes: Attributes): Span {
  return tracer().startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
}

/**
 * A PRODUCER span for one AMQP message. Returns the headers to send (its own context replaces
 * the traceparent/tracestate in `headers` when tracing is on) and `end(err?)`.
 */
export function startProducerSpan(
  parent: Context | undefined,
  destination: string,
  routingKey: string,
  headers: Record<string, unknown>,
  attributes: Attributes = {},
): { headers: Record<string, unknown>; end(err?: Error): void } {
  if (!parent) return { headers, end: () => undefined };
  const span = tracer().startSpan(
    `publish ${destination}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'rabbitmq',
        'messaging.operation.type': 'send',
        'messaging.destination.name': destination,
        'messaging.rabbitmq.destination.routing_key': routingKey,
        ...attributes,
      },
    },
    parent,
  );
  const own = traceHeadersOf(span, parent);
  return {
    headers: own ? { ...headers, ...own } : headers,
    end(err) {
      if (err) {
        span.recordException(err);
        span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
      }
      span.end();
    },
  };
}
