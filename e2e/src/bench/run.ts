/**
 * `make bench`: numbers, not tests. Loopback only and bounded (about six minutes). Runs the
 * real gateway and server workers as separate processes (the e2e stack) on the development
 * services, prints a table and writes bench/results.json.
 *
 * Settings: STARGATE_BENCH_SECONDS (per throughput phase, default 10),
 * STARGATE_BENCH_CONCURRENCY (default 32), STARGATE_BENCH_SOAK_SECONDS (default 150),
 * STARGATE_BENCH_SKIP_PROPAGATION=1 to leave out the operator's propagation figure.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createClient } from '@stargate/client-sdk';
import { processQueue } from '@stargate/contracts';
import { connect } from 'amqplib';
import { freePort, REPO_ROOT, type Stack, startProcess, startStack } from '../support/stack.js';
import { exampleConfig, orderData, waitTerminal } from '../support/system.js';
import { type LoadResult, percentile, type Req, round, runLoad } from './load.js';

const run = promisify(execFile);
const SECONDS = Number(process.env.STARGATE_BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.STARGATE_BENCH_CONCURRENCY ?? 32);
const SOAK_SECONDS = Number(process.env.STARGATE_BENCH_SOAK_SECONDS ?? 150);

const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

async function rssMb(pid: number | undefined): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return round(kb / 1024);
}

async function helloWorld(): Promise<LoadResult> {
  const port = await freePort();
  const p = startProcess('hello', 'e2e/dist/bench/hello.js', { PORT: String(port) });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/hello`)).ok) break;
    } catch {
      if (i > 100) throw new Error(`hello-world did not start: ${p.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    await runLoad({
      name: 'warm-up',
      baseUrl: url,
      concurrency: 8,
      durationMs: 3000,
      make: () => ({ path: '/hello' }),
    });
    return await runLoad({
      name: 'fastify hello-world GET /hello',
      baseUrl: url,
      concurrency: CONCURRENCY,
      durationMs: SECONDS * 1000,
      make: () => ({ path: '/hello' }),
    });
  } finally {
    await p.kill('SIGTERM');
  }
}

async function purgeWork(stack: Stack): Promise<void> {
  const conn = await connect(stack.amqpUrl);
  try {
    const ch = await conn.createChannel();
    for (const t of ['order', 'shipping']) await ch.purgeQueue(processQueue(t));
  } finally {
    await conn.close();
  }
}

/** Submit → result seen by the SDK, for `count` processes at once; also HTTP requests per process. */
async function submitToResult(stack: Stack, mode: 'long-poll' | 'polling', count: number, together: boolean) {
  const cred = stack.credentials.find((c) => c.tenantId === 'acme');
  if (!cred) throw new Error('no acme');
  let statusRequests = 0;
  let allRequests = 0;
  const client = createClient({
    baseUrl: stack.gatewayUrls[0] ?? '',
    clientId: cred.clientId,
    clientSecret: cred.clientSecret,
    databasePath: ':memory:',
    longPollSeconds: mode === 'long-poll' ? 30 : 0,
    fetch: (input, init) => {
      allRequests++;
      if ((init.method ?? 'GET') === 'GET' && /\/api\/stargate\/processes\/[^/?]+$/.test(input))
        statusRequests++;
      return fetch(input, init);
    },
  });
  try {
    await client.processTypes();
    const seenAfterCompleted: number[] = [];
    const one = async (i: number) => {
      const t0 = performance.now();
      const h = await client.submit('order', orderData(`lat-${mode}-${i}`, 1));
      const done = await h.pollUntilDone({ signal: AbortSignal.timeout(180_000) });
      // Same machine, same clock: how long the finished result took to reach the client.
      if (done.completedAt) seenAfterCompleted.push(Date.now() - Date.parse(done.completedAt));
      return performance.now() - t0;
    };
    const latencies: number[] = [];
    if (together) latencies.push(...(await Promise.all(Array.from({ length: count }, (_, i) => one(i)))));
    else for (let i = 0; i < count; i++) latencies.push(await one(i));
    latencies.sort((a, b) => a - b);
    seenAfterCompleted.sort((a, b) => a - b);
    return {
      mode: `${mode}, ${together ? `${count} at once` : `${count} one after another`}`,
      processes: count,
      p50ms: round(percentile(latencies, 50)),
      maxMs: round(latencies.at(-1) ?? Number.NaN),
      completedToSeenP50ms: round(percentile(seenAfterCompleted, 50)),
      completedToSeenMaxMs: round(seenAfterCompleted.at(-1) ?? Number.NaN),
      statusRequestsPerProcess: round(statusRequests / count, 2),
      httpRequestsPerProcess: round(allRequests / count, 2),
    };
  } finally {
    await client.close();
  }
}

async function connectionRamp(stack: Stack, id: string, token: string) {
  const steps = [];
  for (const concurrency of [100, 250, 500, 1000]) {
    const r = await runLoad({
      name: `ramp ${concurrency} connections`,
      baseUrl: stack.gatewayUrls[0] ?? '',
      concurrency,
      durationMs: 5000,
      make: () => ({ path: `/api/stargate/processes/${id}`, headers: { authorization: `Bearer ${token}` } }),
    });
    const fiveHundreds = Object.entries(r.statuses)
      .filter(([s]) => Number(s) >= 500)
      .reduce((n, [, c]) => n + c, 0);
    steps.push({ ...r, fiveXX: fiveHundreds, networkErrors: r.statuses['0'] ?? 0 });
    log(`ramp ${concurrency}: ${r.rps} req/s, p99 ${r.p99ms} ms, statuses ${JSON.stringify(r.statuses)}`);
  }
  return steps;
}

async function soak(stack: Stack, id: string, token: string) {
  const gw = stack.gateways[0]?.child.pid;
  const rssStart = await rssMb(gw);
  // Mostly status reads, plus a paced stream of submissions the workers complete.
  const reads = runLoad({
    name: 'soak GET',
    baseUrl: stack.gatewayUrls[0] ?? '',
    concurrency: 16,
    durationMs: SOAK_SECONDS * 1000,
    make: () => ({ path: `/api/stargate/processes/${id}`, headers: { authorization: `Bearer ${token}` } }),
  });
  let submitted = 0;
  const submits = runLoad({
    name: 'soak POST',
    baseUrl: stack.gatewayUrls[0] ?? '',
    concurrency: 1,
    durationMs: SOAK_SECONDS * 1000,
    make: (i) => {
      submitted++;
      return {
        method: 'POST',
        path: '/api/stargate/processes',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          processType: 'order',
          clientProcessId: `soak-${i}`,
          data: orderData(`soak-${i}`, 1, { delayMs: 50 }),
        }),
      };
    },
  });
  const samples: number[] = [rssStart];
  const sampler = setInterval(() => {
    rssMb(gw).then(
      (v) => samples.push(v),
      () => undefined,
    );
  }, 10_000);
  const [r, s] = await Promise.all([reads, submits]);
  clearInterval(sampler);
  const rssEnd = await rssMb(gw);
  return {
    seconds: SOAK_SECONDS,
    reads: r,
    submits: s,
    submitted,
    rssStartMb: rssStart,
    rssEndMb: rssEnd,
    rssMaxMb: Math.max(...samples, rssEnd),
  };
}

async function propagation(): Promise<{ output: string; createMedianMs?: number } | undefined> {
  if (process.env.STARGATE_BENCH_SKIP_PROPAGATION) return undefined;
  const script = join(REPO_ROOT, 'operator/bench/propagation.mjs');
  try {
    await readFile(script);
  } catch {
    return undefined;
  }
  try {
    const { stdout } = await run(process.execPath, [script, '3'], { cwd: REPO_ROOT, timeout: 240_000 });
    const m = /create .*median (\d+) ms/.exec(stdout);
    return { output: stdout.trim(), ...(m ? { createMedianMs: Number(m[1]) } : {}) };
  } catch (err) {
    return { output: `failed: ${(err as Error).message.slice(0, 500)}` };
  }
}

async function main(): Promise<void> {
  const machine = {
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGb: round(totalmem() / 1024 ** 3),
    node: process.version,
    loadAverageAtStart: (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' '),
  };
  log(`machine ${JSON.stringify(machine)}`);

  const hello = await helloWorld();
  log(`hello-world: ${hello.rps} req/s`);

  const cfg = await exampleConfig({ raiseLimits: true });
  const stack = await startStack({ ...cfg, gateways: 1, workers: 1 });
  const results: Record<string, unknown> = { machine, startedAt: new Date().toISOString() };
  try {
    const token = await stack.token('acme');
    const url = stack.gatewayUrls[0] ?? '';
    const seed = await fetch(`${url}/api/stargate/processes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        processType: 'order',
        clientProcessId: 'bench-seed',
        data: orderData('bench-seed', 1),
      }),
    });
    const { processId } = (await seed.json()) as { processId: string };
    await waitTerminal(url, token, processId);

    // Warm-up (JIT, connection pools), not measured.
    await runLoad({
      name: 'warm-up',
      baseUrl: url,
      concurrency: 8,
      durationMs: 3000,
      make: (i): Req =>
        i % 2
          ? { path: `/api/stargate/processes/${processId}`, headers: { authorization: `Bearer ${token}` } }
          : {
              method: 'POST',
              path: '/api/stargate/processes',
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
              body: JSON.stringify({
                processType: 'order',
                clientProcessId: `warm-${i}`,
                data: orderData(`warm-${i}`, 1),
              }),
            },
    });
    const get = await runLoad({
      name: 'gateway GET /processes/{id}',
      baseUrl: url,
      concurrency: CONCURRENCY,
      durationMs: SECONDS * 1000,
      make: () => ({
        path: `/api/stargate/processes/${processId}`,
        headers: { authorization: `Bearer ${token}` },
      }),
    });
    log(`GET: ${get.rps} req/s ${JSON.stringify(get.statuses)}`);

    // POSTs without a worker consuming, so the run measures the gateway (queue purged after).
    await stack.workers[0]?.kill('SIGTERM');
    const post = await runLoad({
      name: 'gateway POST /processes',
      baseUrl: url,
      concurrency: CONCURRENCY,
      durationMs: SECONDS * 1000,
      make: (i) => ({
        method: 'POST',
        path: '/api/stargate/processes',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'idempotency-key': `bench-${Date.now()}-${i}`,
        },
        body: JSON.stringify({
          processType: 'order',
          clientProcessId: `bench-${i}`,
          data: orderData(`bench-${i}`, 1),
        }),
      }),
    });
    log(`POST: ${post.rps} req/s ${JSON.stringify(post.statuses)}`);
    await purgeWork(stack);
    await stack.startWorker();
    await stack.startWorker();

    const longPollSeq = await submitToResult(stack, 'long-poll', 10, false);
    log(`submit→result: ${JSON.stringify(longPollSeq)}`);
    const longPoll = await submitToResult(stack, 'long-poll', 20, true);
    log(`submit→result: ${JSON.stringify(longPoll)}`);
    const polling = await submitToResult(stack, 'polling', 20, true);
    log(`submit→result: ${JSON.stringify(polling)}`);

    const ramp = await connectionRamp(stack, processId, token);
    const soakResult = await soak(stack, processId, token);
    log(`soak: RSS ${soakResult.rssStartMb} → ${soakResult.rssEndMb} MB`);

    Object.assign(results, {
      throughput: {
        helloWorld: hello,
        get,
        post,
        getVsHello: round(get.rps / hello.rps, 3),
        postVsHello: round(post.rps / hello.rps, 3),
      },
      submitToResult: [longPollSeq, longPoll, polling],
      connectionRamp: ramp,
      soak: soakResult,
    });
  } finally {
    await stack.close();
  }
  const prop = await propagation();
  if (prop) results.propagation = prop;

  await mkdir(join(REPO_ROOT, 'bench'), { recursive: true });
  await writeFile(join(REPO_ROOT, 'bench/results.json'), `${JSON.stringify(results, null, 2)}\n`);
  printTable(results);
}

function printTable(r: Record<string, unknown>): void {
  const t = r.throughput as {
    helloWorld: LoadResult;
    get: LoadResult;
    post: LoadResult;
    getVsHello: number;
    postVsHello: number;
  };
  const rows: string[][] = [['measurement', 'req/s', 'p50 ms', 'p99 ms', 'statuses']];
  for (const x of [t.helloWorld, t.get, t.post])
    rows.push([
      `${x.name} (c=${x.concurrency})`,
      String(x.rps),
      String(x.p50ms),
      String(x.p99ms),
      JSON.stringify(x.statuses),
    ]);
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  const out: string[] = [];
  for (const row of rows) out.push(row.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  '));
  out.push(`GET / hello-world = ${t.getVsHello}, POST / hello-world = ${t.postVsHello}`);
  for (const s of r.submitToResult as {
    mode: string;
    p50ms: number;
    maxMs: number;
    completedToSeenP50ms: number;
    statusRequestsPerProcess: number;
    httpRequestsPerProcess: number;
  }[])
    out.push(
      `submit→result (${s.mode}): p50 ${s.p50ms} ms, max ${s.maxMs} ms; completed→seen p50 ${s.completedToSeenP50ms} ms; status requests/process ${s.statusRequestsPerProcess}, all HTTP requests/process ${s.httpRequestsPerProcess}`,
    );
  for (const s of r.connectionRamp as (LoadResult & { fiveXX: number; networkErrors: number })[])
    out.push(
      `${s.name}: ${s.rps} req/s, p99 ${s.p99ms} ms, 5xx ${s.fiveXX}, network errors ${s.networkErrors}`,
    );
  const soakR = r.soak as {
    seconds: number;
    rssStartMb: number;
    rssEndMb: number;
    rssMaxMb: number;
    reads: LoadResult;
    submitted: number;
  };
  out.push(
    `soak ${soakR.seconds} s: gateway RSS ${soakR.rssStartMb} → ${soakR.rssEndMb} MB (max ${soakR.rssMaxMb}); ${soakR.reads.requests} reads, ${soakR.submitted} submissions`,
  );
  const prop = r.propagation as { output: string } | undefined;
  if (prop) out.push(prop.output);
  process.stdout.write(`${out.join('\n')}\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
