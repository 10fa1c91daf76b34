import {
  type Attributes,
  type Context,
  ProxyTracerProvider,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { injectTraceHeaders, isOwnSpan, type TraceHeaders } from '@stargate/telemetry';

/*
 * The gateway's spans. Without a registered tracer provider the API hands out non-recording
 * spans that merely carry their parent's context; then nothing here changes a header and the
 * trace context of request-context.ts goes on, exactly as before tracing existed. The W3C
 * headers themselves are read and written by @stargate/telemetry.
 */

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

/** The W3C headers naming `span` as the parent, or undefined when `span` is not our own. */
export function traceHeadersOf(span: Span, parent: Context): TraceHeaders | undefined {
  return isOwnSpan(span, parent) ? injectTraceHeaders(trace.setSpan(parent, span)) : undefined;
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
