import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';

export type TelemetryEnv = Record<string, string | undefined>;

export interface TracingOptions {
  /** service.name unless OTEL_SERVICE_NAME says otherwise. */
  serviceName: string;
  env: TelemetryEnv;
  /**
   * Extra processors (tests hand in an in-memory exporter). With any given, tracing is on even
   * without an OTLP endpoint.
   */
  spanProcessors?: SpanProcessor[];
}

export interface Tracing {
  /** Whether a tracer provider was registered (otherwise the API's no-op tracer is in place). */
  readonly enabled: boolean;
  /** Where spans go, if exported: the OTLP/HTTP traces URL. */
  readonly endpoint?: string;
  /** Flushes what is buffered, then unregisters the provider. */
  close(): Promise<void>;
}

export class TelemetryConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TelemetryConfigError';
  }
}

/** The OTLP/HTTP traces URL the environment asks for, or undefined when nothing is exported. */
export function otlpTracesEndpoint(env: TelemetryEnv): string | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? 'otlp').split(',').map((s) => s.trim().toLowerCase());
  if (exporters.includes('none') || !exporters.includes('otlp')) return undefined;
  const signal = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  // The signal-specific URL is used as given; the generic one gets the traces path appended (spec).
  const url = signal || (base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined);
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new TelemetryConfigError(
      `${signal ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT'} is not an http(s) URL: ${url}`,
    );
  }
  return url;
}

/** `k=v,k2=v2` with percent-encoded values, as OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS use. */
export function parseKeyValueList(value: string | undefined, setting: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!value?.trim()) return out;
  for (const item of value.split(',')) {
    if (!item.trim()) continue;
    const eq = item.indexOf('=');
    const key = eq > 0 ? item.slice(0, eq).trim() : '';
    if (!key) throw new TelemetryConfigError(`${setting}: "${item}" is not key=value`);
    try {
      out[key] = decodeURIComponent(item.slice(eq + 1).trim());
    } catch {
      throw new TelemetryConfigError(`${setting}: the value of "${key}" is not valid percent-encoding`);
    }
  }
  return out;
}

/**
 * Registers the process-wide tracer provider, AsyncLocalStorage context manager and W3C
 * propagator when spans have somewhere to go (an OTLP endpoint, or processors handed in).
 * Otherwise registers nothing: the API stays a no-op and callers forward trace headers by hand.
 */
export function startTracing(options: TracingOptions): Tracing {
  const { env } = options;
  const endpoint = otlpTracesEndpoint(env);
  const attributes = parseKeyValueList(env.OTEL_RESOURCE_ATTRIBUTES, 'OTEL_RESOURCE_ATTRIBUTES');
  // Precedence as the spec has it: OTEL_SERVICE_NAME, then OTEL_RESOURCE_ATTRIBUTES, then ours.
  attributes['service.name'] =
    env.OTEL_SERVICE_NAME?.trim() || attributes['service.name'] || options.serviceName;
  const processors = [...(options.spanProcessors ?? [])];
  if (endpoint) {
    const headers = {
      ...parseKeyValueList(env.OTEL_EXPORTER_OTLP_HEADERS, 'OTEL_EXPORTER_OTLP_HEADERS'),
      ...parseKeyValueList(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'),
    };
    processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: endpoint, headers })));
  }
  if (processors.length === 0) return { enabled: false, close: async () => undefined };

  const resource = resourceFromAttributes(attributes);
  const provider = new BasicTracerProvider({ resource, spanProcessors: processors });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  if (
    !trace.setGlobalTracerProvider(provider) ||
    !context.setGlobalContextManager(contextManager) ||
    !propagation.setGlobalPropagator(new W3CTraceContextPropagator())
  ) {
    throw new TelemetryConfigError('a tracer provider is already registered in this process');
  }
  let closed: Promise<void> | undefined;
  return {
    enabled: true,
    ...(endpoint ? { endpoint } : {}),
    close() {
      closed ??= provider.shutdown().finally(() => {
        // Unregistered so that a later startTracing (tests) can register again.
        trace.disable();
        propagation.disable();
        context.disable();
      });
      return closed;
    },
  };
}

export {
  activeTraceHeaders,
  childTraceHeaders,
  extractAmqpContext,
  extractHttpContext,
  injectTraceHeaders,
  isOwnSpan,
  spanTraceHeaders,
  type TraceHeaders,
} from './propagation.js';
