/**
 * A small closed-loop HTTP load generator on node:http: `concurrency` connections, each
 * sending its next request as soon as the previous answer arrived, for a fixed time.
 */
import { Agent, request } from 'node:http';

export interface Req {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadResult {
  name: string;
  concurrency: number;
  seconds: number;
  requests: number;
  rps: number;
  p50ms: number;
  p99ms: number;
  statuses: Record<string, number>;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

function once(agent: Agent, base: URL, r: Req): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        method: r.method ?? 'GET',
        path: r.path,
        headers: {
          ...(r.body !== undefined ? { 'content-length': String(Buffer.byteLength(r.body)) } : {}),
          ...r.headers,
        },
        timeout: 60_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(0));
    if (r.body !== undefined) req.write(r.body);
    req.end();
  });
}

/** Runs the closed loop; `make(i)` builds the i-th request. Status 0 = network error. */
export async function runLoad(opts: {
  name: string;
  baseUrl: string;
  concurrency: number;
  durationMs: number;
  make: (i: number) => Req;
}): Promise<LoadResult> {
  const base = new URL(opts.baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let counter = 0;
  const started = performance.now();
  const end = started + opts.durationMs;
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (performance.now() < end) {
        const r = opts.make(counter++);
        const t0 = performance.now();
        const status = await once(agent, base, r);
        latencies.push(performance.now() - t0);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    name: opts.name,
    concurrency: opts.concurrency,
    seconds: round(seconds),
    requests: latencies.length,
    rps: round(latencies.length / seconds),
    p50ms: round(percentile(latencies, 50)),
    p99ms: round(percentile(latencies, 99)),
    statuses,
  };
}

export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
