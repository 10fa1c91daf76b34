/**
 * `make bench`: numbers, not tests. Loopback only and bounded. Runs the real gateway and a
 * server worker as separate processes (the e2e stack) on the development services, drives
 * them with wrk (e2e/src/bench/wrk.ts), prints a table and writes bench/results.json.
 *
 * In one run, same connections and duration for each, in this order: a bare fastify
 * hello-world, the hand-built peer of the status read (e2e/bench/peer/), the gateway's
 * status read and the gateway's submit; then each gateway figure again at half its peak rate
 * for p50/p99; then a GET soak that watches the audit queue, the gateway's memory and whether
 * the server is left with a backlog.
 *
 * Settings: STARGATE_BENCH_SECONDS (per throughput phase, default 10),
 * STARGATE_BENCH_CONNECTIONS (default 32), STARGATE_BENCH_SOAK_SECONDS (default 60),
 * STARGATE_BENCH_ROUNDS (the four figures are measured this many times in turn, default 3),
 * STARGATE_BENCH_QUICK=1 (the throughput figures only), STARGATE_BENCH_SKIP_PROPAGATION=1,
 * STARGATE_BENCH_PROFILE=<dir> (the gateway writes a V8 CPU profile there on exit).
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { promisify } from 'node:util';
import { createClient } from '@stargate/client-sdk';
import { PROCESSES_PATH, processQueue, QUEUES, scopeFor, statusPath } from '@stargate/contracts';
import { connect } from 'amqplib';
import { Redis } from 'ioredis';
import { importPKCS8, SignJWT } from 'jose';
import {
  freePort,
  type ManagedProcess,
  REPO_ROOT,
  type Stack,
  startProcess,
  startStack,
} from '../support/stack.js';
import { exampleConfig, orderData, waitTerminal } from '../support/system.js';
import { kubernetesIdleRssMb } from './kube-rss.js';
import { ensureWrk, type WrkResult, wrk, wrkAtRate } from './wrk.js';

const execFileP = promisify(execFile);
const SECONDS = Number(process.env.STARGATE_BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.STARGATE_BENCH_CONNECTIONS ?? 32);
const SOAK_SECONDS = Number(process.env.STARGATE_BENCH_SOAK_SECONDS ?? 60);
const QUICK = Boolean(process.env.STARGATE_BENCH_QUICK);
const PROFILE = process.env.STARGATE_BENCH_PROFILE;
const WARM_SECONDS = 3;
const ROUNDS = Number(process.env.STARGATE_BENCH_ROUNDS ?? 3);

const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

async function loadAverage(): Promise<string> {
  return (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
}

/** Sum and count of the gateway's confirmed publishes to stargate.requests (its /metrics). */
async function publishSeconds(gatewayUrl: string): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`${gatewayUrl}/metrics`)).text();
  const value = (name: string) => {
    const line = text
      .split('\n')
      .find(
        (l) => l.startsWith(name) && l.includes('exchange="stargate.requests"') && l.includes('confirmed'),
      );
    return Number(line?.split(' ').pop() ?? 0);
  };
  return {
    sum: value('gateway_publish_duration_seconds_sum'),
    count: value('gateway_publish_duration_seconds_count'),
  };
}

async function rssMb(pid: number | undefined): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return round(kb / 1024);
}

async function waitUp(p: ManagedProcess, url: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await fetch(url);
      return;
    } catch {
      if (p.child.exitCode !== null || i > 150) throw new Error(`${p.name} did not start: ${p.output()}`);
      await sleep(100);
    }
  }
}

/** Warm-up (JIT, connection pools) and then the measured run, same settings for every target. */
async function measure(
  name: string,
  opts: Omit<Parameters<typeof wrk>[0], 'name' | 'connections' | 'seconds'>,
) {
  await wrk({ ...opts, name: `${name} warm-up`, connections: CONNECTIONS, seconds: WARM_SECONDS });
  const r = await wrk({ ...opts, name, connections: CONNECTIONS, seconds: SECONDS });
  log(
    `${name}: ${r.rps} req/s, p50 ${r.p50ms} ms, p99 ${r.p99ms} ms, non-2xx ${r.non2xx}, errors ${r.socketErrors}`,
  );
  return r;
}

/** The peer: its own key pair and token (same claims as the gateway's), its own Redis keys. */
async function startPeer(redisUrl: string, view: unknown, jwtCache?: number) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const issuer = 'http://peer.test';
  const audience = 'stargate-api';
  const prefix = `bench-peer-${process.pid}`;
  const processId = (view as { processId: string }).processId;
  const redis = new Redis(redisUrl);
  await redis.set(`${prefix}:p:acme:${processId}`, JSON.stringify(view), 'EX', 3600);
  redis.disconnect();
  const token = await new SignJWT({ tid: 'acme', scope: scopeFor('order', 'read') })
    .setProtectedHeader({ alg: 'ES256', kid: 'peer' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject('acme-client')
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(await importPKCS8(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 'ES256'));
  const port = await freePort();
  const proc = startProcess('peer', 'e2e/bench/peer/server.mjs', {
    PORT: String(port),
    REDIS_URL: redisUrl,
    PUBLIC_KEY_PEM: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    ISSUER: issuer,
    AUDIENCE: audience,
    KEY_PREFIX: prefix,
    ...(jwtCache ? { JWT_CACHE: String(jwtCache) } : {}),
  });
  const url = `http://127.0.0.1:${port}/api/stargate/processes/${processId}`;
  await waitUp(proc, url);
  const check = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (check.status !== 200) throw new Error(`peer answered ${check.status}: ${await check.text()}`);
  return {
    url,
    token,
    async close() {
      await proc.kill('SIGTERM');
      const r = new Redis(redisUrl);
      const keys = await r.keys(`${prefix}:*`);
      if (keys.length) await r.del(...keys);
      r.disconnect();
    },
  };
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

async function connectionRamp(url: string, token: string) {
  const steps: WrkResult[] = [];
  for (const connections of [100, 250, 500, 1000]) {
    const r = await wrk({ name: `ramp ${connections} connections`, url, token, connections, seconds: 5 });
    steps.push(r);
    log(
      `ramp ${connections}: ${r.rps} req/s, p99 ${r.p99ms} ms, non-2xx ${r.non2xx}, errors ${r.socketErrors}`,
    );
  }
  return steps;
}

/**
 * Status reads for SOAK_SECONDS while sampling the audit queue and the gateway's RSS every
 * 5 s; afterwards, how long until every queue the run fed is empty again (the server's backlog).
 */
async function soak(stack: Stack, url: string, token: string) {
  const gw = stack.gateways[0]?.child.pid;
  const vhost = stack.vhost;
  // The earlier phases' audit records first, so what is left afterwards is the soak's own.
  const backlogStart = performance.now();
  while (vhost && (await vhost.queueDepth(QUEUES.audit)) > 0 && performance.now() - backlogStart < 180_000)
    await sleep(500);
  const earlierBacklogDrainedMs = Math.round(performance.now() - backlogStart);
  const depth = async () => (vhost ? vhost.queueDepth(QUEUES.audit) : Number.NaN);
  const rss: number[] = [await rssMb(gw)];
  const auditDepth: number[] = [await depth()];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      await sleep(5000);
      if (!sampling) break;
      rss.push(await rssMb(gw).catch(() => Number.NaN));
      auditDepth.push(await depth().catch(() => Number.NaN));
    }
  })();
  const reads = await wrk({ name: 'soak GET', url, token, connections: 16, seconds: SOAK_SECONDS });
  sampling = false;
  await sampler;
  const ended = performance.now();
  let drainedAfterMs: number | undefined;
  while (performance.now() - ended < 120_000) {
    if ((await depth()) === 0) {
      drainedAfterMs = Math.round(performance.now() - ended);
      break;
    }
    await sleep(250);
  }
  const loadAfter = await loadAverage();
  return {
    seconds: SOAK_SECONDS,
    reads,
    rssMb: rss,
    rssEndMb: await rssMb(gw),
    auditQueueDepth: auditDepth,
    auditQueueMax: Math.max(...auditDepth),
    auditQueueDrainedAfterMs: drainedAfterMs ?? null,
    earlierBacklogDrainedMs,
    loadAverageAfter: loadAfter,
  };
}

async function propagation(): Promise<{ output: string; createMedianMs?: number } | undefined> {
  if (process.env.STARGATE_BENCH_SKIP_PROPAGATION) return undefined;
  const script = join(REPO_ROOT, 'e2e/bench/propagation.mjs');
  try {
    await readFile(script);
  } catch {
    return undefined;
  }
  try {
    const { stdout } = await execFileP(process.execPath, [script, '3'], { cwd: REPO_ROOT, timeout: 240_000 });
    const m = /create .*median (\d+) ms/.exec(stdout);
    return { output: stdout.trim(), ...(m ? { createMedianMs: Number(m[1]) } : {}) };
  } catch (err) {
    return { output: `failed: ${(err as Error).message.slice(0, 500)}` };
  }
}

async function main(): Promise<void> {
  await ensureWrk();
  const machine = {
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGb: round(totalmem() / 1024 ** 3),
    node: process.version,
    loadAverageAtStart: await loadAverage(),
  };
  log(`machine ${JSON.stringify(machine)}`);
  const results: Record<string, unknown> = { machine, startedAt: new Date().toISOString() };

  const profileDir = PROFILE ? (isAbsolute(PROFILE) ? PROFILE : join(REPO_ROOT, PROFILE)) : undefined;
  if (profileDir) await mkdir(profileDir, { recursive: true });
  const cfg = await exampleConfig({ raiseLimits: true });
  const kubeIdleRssMb = await kubernetesIdleRssMb(cfg.gatewayConfig);
  log(
    `gateway RSS at idle with the Kubernetes config source: ${kubeIdleRssMb ?? 'not measured (no kube-apiserver)'} MB`,
  );
  results.gatewayIdleRssKubernetesMb = kubeIdleRssMb ?? null;
  const stack = await startStack({
    ...cfg,
    gateways: 1,
    workers: 1,
    ...(profileDir ? { extraGatewayEnv: { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profileDir}` } } : {}),
  });
  const helloPort = await freePort();
  const hello = startProcess('hello', 'e2e/dist/bench/hello.js', { PORT: String(helloPort) });
  let peer: Awaited<ReturnType<typeof startPeer>> | undefined;
  try {
    const gwUrl = stack.gatewayUrls[0] ?? '';
    const gwPid = stack.gateways[0]?.child.pid;
    const idleRssMb = await rssMb(gwPid);
    const token = await stack.token('acme');
    const seed = await fetch(`${gwUrl}${PROCESSES_PATH}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        processType: 'order',
        clientProcessId: 'bench-seed',
        data: orderData('bench-seed', 1),
      }),
    });
    const { processId } = (await seed.json()) as { processId: string };
    const view = await waitTerminal(gwUrl, token, processId);
    const helloUrl = `http://127.0.0.1:${helloPort}/hello`;
    await waitUp(hello, helloUrl);
    peer = await startPeer(process.env.STARGATE_REDIS_URL ?? 'redis://127.0.0.1:6390', view);
    const statusUrl = `${gwUrl}${statusPath(processId)}`;
    const postUrl = `${gwUrl}${PROCESSES_PATH}`;
    const postBody = { processType: 'order', clientProcessId: 'bench', data: orderData('bench', 1) };

    const loadBefore = await loadAverage();
    // The worker stays up: the gateway takes its process ids from blocks the server reserves
    // (without a server it would run dry after two blocks), and it also consumes the work, so
    // the POST figure is the whole system's on these two cores; the queue is purged after.
    const rounds: { hello: WrkResult; peer: WrkResult; get: WrkResult; post: WrkResult; load: string }[] = [];
    const publishBefore = await publishSeconds(gwUrl);
    for (let round = 1; round <= ROUNDS; round++) {
      const load = await loadAverage();
      log(`round ${round} of ${ROUNDS} (load average ${load})`);
      rounds.push({
        load,
        hello: await measure('fastify hello-world GET /hello', { url: helloUrl }),
        peer: await measure('hand-built peer GET /processes/{id}', { url: peer.url, token: peer.token }),
        get: await measure('gateway GET /processes/{id}', { url: statusUrl, token }),
        post: await measure('gateway POST /processes', { url: postUrl, token, postBody }),
      });
    }
    const publishAfter = await publishSeconds(gwUrl);
    // Not a goal, for fairness: the peer with fast-jwt's own verified-token cache turned on
    // (off by default), as the gateway has one.
    const cachedPeer = await startPeer(
      process.env.STARGATE_REDIS_URL ?? 'redis://127.0.0.1:6390',
      view,
      1000,
    );
    const peerCached = await measure('hand-built peer, fast-jwt cache on', {
      url: cachedPeer.url,
      token: cachedPeer.token,
    }).finally(() => cachedPeer.close());
    // The round with the median gateway GET figure stands for the run; every round is kept.
    const byGet = [...rounds].sort((a, b) => a.get.rps - b.get.rps);
    const mid = byGet[Math.floor((byGet.length - 1) / 2)]!;
    const helloR = mid.hello;
    const peerR = mid.peer;
    const get = mid.get;
    const post = [...rounds].sort((a, b) => a.post.rps - b.post.rps)[Math.floor((rounds.length - 1) / 2)]!
      .post;
    const getHalf = await wrkAtRate({
      name: 'gateway GET at half its peak rate',
      url: statusUrl,
      token,
      connections: CONNECTIONS,
      seconds: SECONDS,
      rate: get.rps / 2,
    });
    const postHalf = await wrkAtRate({
      name: 'gateway POST at half its peak rate',
      url: postUrl,
      token,
      postBody,
      connections: CONNECTIONS,
      seconds: SECONDS,
      rate: post.rps / 2,
    });
    const loadAfter = await loadAverage();
    log(`GET at half rate: ${getHalf.rps} req/s, p50 ${getHalf.p50ms} ms, p99 ${getHalf.p99ms} ms`);
    log(`POST at half rate: ${postHalf.rps} req/s, p50 ${postHalf.p50ms} ms, p99 ${postHalf.p99ms} ms`);
    await purgeWork(stack);
    await peer.close();
    peer = undefined;
    await hello.kill('SIGTERM');

    results.throughput = {
      connections: CONNECTIONS,
      seconds: SECONDS,
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadAfter,
      rounds: rounds.map((r) => ({
        loadAverage: r.load,
        helloRps: r.hello.rps,
        peerRps: r.peer.rps,
        getRps: r.get.rps,
        postRps: r.post.rps,
        getVsPeer: round(r.get.rps / r.peer.rps, 2),
        getVsHello: round(r.get.rps / r.hello.rps, 3),
      })),
      brokerConfirmMeanMs:
        publishAfter.count > publishBefore.count
          ? round(
              ((publishAfter.sum - publishBefore.sum) / (publishAfter.count - publishBefore.count)) * 1000,
              2,
            )
          : null,
      helloWorld: helloR,
      peer: peerR,
      peerWithJwtCache: peerCached,
      get,
      post,
      getAtHalfRate: getHalf,
      postAtHalfRate: postHalf,
      getVsPeer: round(get.rps / peerR.rps, 2),
      getVsHello: round(get.rps / helloR.rps, 3),
      postVsHello: round(post.rps / helloR.rps, 3),
    };
    results.gatewayIdleRssMb = idleRssMb;

    if (!QUICK) {
      await stack.startWorker();
      await stack.startWorker();
      const submit = [
        await submitToResult(stack, 'long-poll', 10, false),
        await submitToResult(stack, 'long-poll', 20, true),
        await submitToResult(stack, 'polling', 20, true),
      ];
      for (const s of submit) log(`submit→result: ${JSON.stringify(s)}`);
      const ramp = await connectionRamp(statusUrl, token);
      const soakResult = await soak(stack, statusUrl, token);
      log(`soak: ${JSON.stringify({ ...soakResult, reads: soakResult.reads.rps })}`);
      Object.assign(results, { submitToResult: submit, connectionRamp: ramp, soak: soakResult });
    }
  } finally {
    await peer?.close().catch(() => undefined);
    await hello.kill('SIGTERM');
    await stack.close();
  }
  if (!QUICK) {
    const prop = await propagation();
    if (prop) results.propagation = prop;
  }
  await mkdir(join(REPO_ROOT, 'bench'), { recursive: true });
  await writeFile(join(REPO_ROOT, 'bench/results.json'), `${JSON.stringify(results, null, 2)}\n`);
  printTable(results);
}

function printTable(r: Record<string, unknown>): void {
  const t = r.throughput as {
    connections: number;
    seconds: number;
    loadAverageBefore: string;
    loadAverageAfter: string;
    helloWorld: WrkResult;
    peer: WrkResult;
    peerWithJwtCache: WrkResult;
    get: WrkResult;
    post: WrkResult;
    getAtHalfRate: WrkResult;
    postAtHalfRate: WrkResult;
    getVsPeer: number;
    getVsHello: number;
    postVsHello: number;
    brokerConfirmMeanMs: number | null;
    rounds: {
      loadAverage: string;
      helloRps: number;
      peerRps: number;
      getRps: number;
      postRps: number;
      getVsPeer: number;
      getVsHello: number;
    }[];
  };
  const machine = r.machine as { nproc: number; cpu: string; loadAverageAtStart: string };
  const rows: string[][] = [['measurement', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors']];
  for (const x of [
    t.helloWorld,
    t.peer,
    t.get,
    t.post,
    t.getAtHalfRate,
    t.postAtHalfRate,
    t.peerWithJwtCache,
  ])
    rows.push([
      x.name,
      String(x.rps),
      String(x.p50ms),
      String(x.p99ms),
      String(x.non2xx),
      String(x.socketErrors),
    ]);
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  const out: string[] = [
    `machine: ${machine.nproc} cores (${machine.cpu}); load average ${machine.loadAverageAtStart} at start, ${t.loadAverageBefore} before and ${t.loadAverageAfter} after the throughput runs`,
    `wrk, ${t.connections} connections, ${t.seconds} s each (after a ${WARM_SECONDS} s warm-up):`,
  ];
  for (const row of rows) out.push(row.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  '));
  out.push(
    `GET / peer = ${t.getVsPeer}, GET / hello-world = ${t.getVsHello}, POST / hello-world = ${t.postVsHello} (the round with the median gateway GET; POST: median round)`,
  );
  for (const [i, x] of t.rounds.entries())
    out.push(
      `  round ${i + 1} (load ${x.loadAverage}): hello ${x.helloRps}, peer ${x.peerRps}, GET ${x.getRps}, POST ${x.postRps} req/s; GET / peer ${x.getVsPeer}, GET / hello ${x.getVsHello}`,
    );
  out.push(`broker confirm of a submission (mean, from the gateway's metrics): ${t.brokerConfirmMeanMs} ms`);
  out.push(
    `gateway RSS at idle (after start-up): ${r.gatewayIdleRssMb} MB with the file config source, ${r.gatewayIdleRssKubernetesMb ?? 'not measured'} MB with the Kubernetes source`,
  );
  for (const s of (r.submitToResult ?? []) as {
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
  for (const s of (r.connectionRamp ?? []) as WrkResult[])
    out.push(
      `${s.name}: ${s.rps} req/s, p99 ${s.p99ms} ms, non-2xx ${s.non2xx}, socket errors ${s.socketErrors}`,
    );
  const soakR = r.soak as
    | {
        seconds: number;
        reads: WrkResult;
        rssMb: number[];
        rssEndMb: number;
        auditQueueMax: number;
        auditQueueDrainedAfterMs: number | null;
        earlierBacklogDrainedMs: number;
        loadAverageAfter: string;
      }
    | undefined;
  if (soakR)
    out.push(
      `soak ${soakR.seconds} s GET (16 connections, after the earlier phases' audit backlog drained in ${soakR.earlierBacklogDrainedMs} ms): ${soakR.reads.rps} req/s, p99 ${soakR.reads.p99ms} ms; audit queue max ${soakR.auditQueueMax} messages, empty ${soakR.auditQueueDrainedAfterMs ?? 'not within 120 000'} ms after the run; gateway RSS ${soakR.rssMb[0]} → ${soakR.rssEndMb} MB (max ${Math.max(...soakR.rssMb, soakR.rssEndMb)}); load average after ${soakR.loadAverageAfter}`,
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
