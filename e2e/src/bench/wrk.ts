/**
 * Runs `wrk` (the Debian package; `make bench` installs it) with e2e/bench/wrk/stargate.lua
 * and returns what it measured. wrk is C and event-driven, so on these two shared cores it
 * takes far less CPU from the server under test than a load generator written in Node.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../support/stack.js';

const run = promisify(execFile);
const SCRIPT = join(REPO_ROOT, 'e2e/bench/wrk/stargate.lua');

export interface WrkResult {
  name: string;
  connections: number;
  seconds: number;
  requests: number;
  rps: number;
  p50ms: number;
  p90ms: number;
  p99ms: number;
  maxMs: number;
  /** Answers other than 2xx/3xx, and socket errors and timeouts: each should be 0. */
  non2xx: number;
  socketErrors: number;
}

export interface WrkOptions {
  name: string;
  url: string;
  connections: number;
  seconds: number;
  threads?: number;
  token?: string;
  /** POST this JSON body, a fresh Idempotency-Key on every request. */
  postBody?: unknown;
  /** Pause per connection between an answer and its next request (fixed-rate runs). */
  delayMs?: number;
}

const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

export async function wrk(opts: WrkOptions): Promise<WrkResult> {
  const env: Record<string, string> = { ...(process.env as Record<string, string>) };
  if (opts.token) env.WRK_TOKEN = opts.token;
  if (opts.postBody !== undefined) {
    const file = join(tmpdir(), `stargate-bench-body-${process.pid}.json`);
    await writeFile(file, JSON.stringify(opts.postBody));
    env.WRK_BODY_FILE = file;
  }
  if (opts.delayMs !== undefined) env.WRK_DELAY_MS = String(Math.max(0, Math.round(opts.delayMs)));
  const args = [
    `-t${opts.threads ?? 2}`,
    `-c${opts.connections}`,
    `-d${opts.seconds}s`,
    '--timeout',
    '10s',
    '-s',
    SCRIPT,
    opts.url,
  ];
  const { stdout } = await run('wrk', args, { env, timeout: (opts.seconds + 60) * 1000 });
  const line = stdout.split('\n').find((l) => l.startsWith('WRK_JSON '));
  if (!line) throw new Error(`wrk printed no summary:\n${stdout}`);
  const s = JSON.parse(line.slice('WRK_JSON '.length)) as Record<string, number>;
  const n = (k: string) => s[k] ?? 0;
  return {
    name: opts.name,
    connections: opts.connections,
    seconds: opts.seconds,
    requests: n('requests'),
    rps: Math.round(n('requests') / (n('durationUs') / 1e6)),
    p50ms: round(n('p50us') / 1000, 2),
    p90ms: round(n('p90us') / 1000, 2),
    p99ms: round(n('p99us') / 1000, 2),
    maxMs: round(n('maxUs') / 1000, 1),
    non2xx: n('non2xx3xx'),
    socketErrors: n('connectErrors') + n('readErrors') + n('writeErrors') + n('timeouts'),
  };
}

/**
 * Latency at a fixed, lower rate: each of `connections` waits between its requests so that
 * together they send about `rate` per second. wrk's pause is closed-loop (it waits after each
 * answer), so short calibration runs measure the rate really reached and correct the pause
 * (per connection, one request every connections/rate seconds) until it is within 10 %; the
 * result states the rate that was held.
 */
export async function wrkAtRate(opts: Omit<WrkOptions, 'delayMs'> & { rate: number }): Promise<WrkResult> {
  const cycleMs = (opts.connections / opts.rate) * 1000;
  let delayMs = cycleMs;
  for (let i = 0; i < 4; i++) {
    const probe = await wrk({ ...opts, name: `${opts.name} (calibration)`, seconds: 3, delayMs });
    if (probe.rps <= 0) break;
    if (Math.abs(probe.rps - opts.rate) / opts.rate <= 0.1) break;
    // The time a request took on top of the pause, as this probe saw it.
    const overheadMs = Math.max(0, (opts.connections / probe.rps) * 1000 - delayMs);
    delayMs = Math.max(0, cycleMs - overheadMs);
  }
  return wrk({ ...opts, delayMs });
}

export async function ensureWrk(): Promise<void> {
  try {
    await run('wrk', ['--version']);
  } catch (err) {
    // wrk --version exits 1 after printing its version; only a missing binary is fatal.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error('wrk is not installed: `apt-get install wrk` (make bench does this)');
  }
}
