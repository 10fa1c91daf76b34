import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { otlpTracesEndpoint, startTracing, TelemetryConfigError, type Tracing } from './index.js';

let running: Tracing | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

interface Received {
  path: string;
  contentType: string | undefined;
  auth: string | undefined;
  body: string;
}

/** A stand-in OTLP collector on a free local port that records what it is sent. */
async function collector() {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        path: req.url ?? '',
        contentType: req.headers['content-type'],
        auth: req.headers.authorization,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('otlpTracesEndpoint', () => {
  it('exports nothing without an endpoint', () => {
    expect(otlpTracesEndpoint({})).toBeUndefined();
  });

  it('appends the traces path to the generic endpoint and uses the signal endpoint as given', () => {
    expect(otlpTracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318/' })).toBe(
      'http://otel:4318/v1/traces',
    );
    expect(
      otlpTracesEndpoint({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector.example/custom',
      }),
    ).toBe('https://collector.example/custom');
  });

  it('exports nothing when OTEL_TRACES_EXPORTER is none or the SDK is disabled', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318' };
    expect(otlpTracesEndpoint({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' })).toBeUndefined();
    expect(otlpTracesEndpoint({ ...endpoint, OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
  });

  it('names the bad setting when the endpoint is not a URL', () => {
    expect(() => otlpTracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'otel:4318' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT/,
    );
    expect(() => otlpTracesEndpoint({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'ftp://x' })).toThrow(
      TelemetryConfigError,
    );
  });
});

describe('startTracing', () => {
  it('registers nothing without an endpoint, so spans are no-ops', async () => {
    running = startTracing({ serviceName: 'test', env: {} });
    expect(running.enabled).toBe(false);
    const span = trace.getTracer('t').startSpan('nothing');
    expect(span.isRecording()).toBe(false);
    span.end();
  });

  it('sends the spans over OTLP/HTTP once close() flushes, with service name and resource attributes', async () => {
    const otlp = await collector();
    try {
      running = startTracing({
        serviceName: 'stargate-test',
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
          OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc',
          OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=ci,service.name=ignored',
          OTEL_SERVICE_NAME: 'stargate-gateway-ci',
        },
      });
      expect(running.enabled).toBe(true);
      const span = trace.getTracer('t').startSpan('POST /things', { kind: SpanKind.SERVER });
      expect(span.isRecording()).toBe(true);
      span.end();
      // Batched: nothing is sent before the flush on close.
      expect(otlp.received).toHaveLength(0);
      await running.close();
      running = undefined;

      expect(otlp.received).toHaveLength(1);
      const [post] = otlp.received;
      expect(post?.path).toBe('/v1/traces');
      expect(post?.contentType).toMatch(/json|protobuf/);
      expect(post?.auth).toBe('Bearer abc');
      // The payload names the span and the resource (as JSON or protobuf, the strings are there).
      expect(post?.body).toContain('POST /things');
      expect(post?.body).toContain('stargate-gateway-ci');
      expect(post?.body).toContain('deployment.environment');
      expect(post?.body).not.toContain('ignored');
      // Unregistered after close: the API is a no-op again.
      expect(trace.getTracer('t').startSpan('after').isRecording()).toBe(false);
    } finally {
      await otlp.close();
    }
  });

  it('refuses a malformed OTEL_RESOURCE_ATTRIBUTES by name', () => {
    expect(() =>
      startTracing({
        serviceName: 'x',
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1', OTEL_RESOURCE_ATTRIBUTES: 'novalue' },
      }),
    ).toThrow(/OTEL_RESOURCE_ATTRIBUTES/);
  });
});
