import * as otel from '@opentelemetry/api';
import { AMQP_HEADERS, formatTraceparent, parseTraceparent } from '@stargate/contracts';
import type { Context, Span } from '@opentelemetry/api';

const tracer = () => otel.trace.getTracer('@stargate/server');

/** Continues the trace the gateway started, from the W3C headers on the AMQP message. */
export function extractTrace(headers: Record<string, unknown> | undefined): Context {
  const tp = parseTraceparent(headers?.[AMQP_HEADERS.traceparent]);
  if (!tp) return otel.ROOT_CONTEXT;
  const state = headers?.[AMQP_HEADERS.tracestate];
  return otel.trace.setSpanContext(otel.ROOT_CONTEXT, {
    traceId: tp.traceId,
    spanId: tp.parentId,
    traceFlags: tp.sampled ? otel.TraceFlags.SAMPLED : otel.TraceFlags.NONE,
    isRemote: true,
    ...(typeof state === 'string' ? { traceState: otel.createTraceState(state) } : {}),
  });
}

export function startConsumerSpan(name: string, parent: Context, attributes: Record<string, string>): Span {
  return tracer().startSpan(name, { kind: otel.SpanKind.CONSUMER, attributes }, parent);
}

/**
 * The traceparent/tracestate for messages published on behalf of `span`; without a tracing SDK
 * the span is non-recording and carries the incoming context, so the trace still continues.
 */
export function traceHeaders(span: Span, parent: Context): { traceparent?: string; tracestate?: string } {
  const sc = otel.trace.isSpanContextValid(span.spanContext())
    ? span.spanContext()
    : otel.trace.getSpanContext(parent);
  if (!sc || !otel.trace.isSpanContextValid(sc)) return {};
  const tracestate = sc.traceState?.serialize();
  return {
    traceparent: formatTraceparent({
      traceId: sc.traceId,
      parentId: sc.spanId,
      sampled: (sc.traceFlags & otel.TraceFlags.SAMPLED) === otel.TraceFlags.SAMPLED,
    }),
    ...(tracestate ? { tracestate } : {}),
  };
}
