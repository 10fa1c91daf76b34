import * as otel from '@opentelemetry/api';
import type { Context, Span } from '@opentelemetry/api';
import { extractAmqpContext, spanTraceHeaders, type TraceHeaders } from '@stargate/telemetry';

export { activeTraceHeaders } from '@stargate/telemetry';

const tracer = () => otel.trace.getTracer('@stargate/server');

/** Continues the trace the gateway started, from the W3C headers on the AMQP message. */
export function extractTrace(headers: Record<string, unknown> | undefined): Context {
  return extractAmqpContext(headers);
}

export function startConsumerSpan(name: string, parent: Context, attributes: Record<string, string>): Span {
  return tracer().startSpan(name, { kind: otel.SpanKind.CONSUMER, attributes }, parent);
}

/**
 * The traceparent/tracestate for messages published on behalf of `span`; without a tracing SDK
 * the span is non-recording and carries the incoming context, so the trace still continues.
 */
export function traceHeaders(span: Span, parent: Context): Partial<TraceHeaders> {
  return spanTraceHeaders(span, parent) ?? {};
}

/**
 * A CLIENT span for one MongoDB operation of the store, under the span that is active (the
 * consumer or handler span). Outside a recorded trace (tracing off, retention sweeps) the
 * operation just runs: no root spans for background work.
 */
export async function dbSpan<T>(
  namespace: string,
  collection: string,
  operation: string,
  run: () => Promise<T>,
): Promise<T> {
  const parent = otel.context.active();
  if (!otel.trace.getSpan(parent)?.isRecording()) return run();
  const span = tracer().startSpan(
    `${operation} ${collection}`,
    {
      kind: otel.SpanKind.CLIENT,
      attributes: {
        'db.system': 'mongodb',
        'db.system.name': 'mongodb',
        'db.namespace': namespace,
        'db.collection.name': collection,
        'db.operation.name': operation,
      },
    },
    parent,
  );
  try {
    return await run();
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: otel.SpanStatusCode.ERROR, message: (err as Error).message });
    throw err;
  } finally {
    span.end();
  }
}

/** Runs `fn` with `span` as the active span, so what it starts (store spans) hangs below it. */
export function withSpan<T>(span: Span, parent: Context, fn: () => T): T {
  return otel.context.with(otel.trace.setSpan(parent, span), fn);
}

/** A child span of the active one, e.g. around the handler run. */
export function startChildSpan(name: string, attributes: Record<string, string | number>): Span {
  return tracer().startSpan(name, { kind: otel.SpanKind.INTERNAL, attributes }, otel.context.active());
}

/**
 * Runs `fn` in a CONSUMER span that continues the message's trace (commands, queries), so
 * its store spans and the state events it publishes belong to the caller's trace.
 */
export async function inConsumerSpan<T>(
  name: string,
  headers: Record<string, unknown> | undefined,
  attributes: Record<string, string>,
  fn: () => Promise<T>,
): Promise<T> {
  const parent = extractTrace(headers);
  const span = startConsumerSpan(name, parent, { 'messaging.system': 'rabbitmq', ...attributes });
  try {
    return await withSpan(span, parent, fn);
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: otel.SpanStatusCode.ERROR, message: (err as Error).message });
    throw err;
  } finally {
    span.end();
  }
}
