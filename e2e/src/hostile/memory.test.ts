/**
 * What one hostile request costs a gateway in memory, measured on a gateway running as its
 * own process: the peak resident set (VmHWM in /proc) before and after the request.
 *
 * - A tenant with a valid token sends a 120 KB order whose items are all `{}`: every item
 *   violates the schema three times. The answer must stay small and the peak must not grow
 *   by the hundred megabytes that echoing every error cost (issue 16, High 1).
 * - An anonymous caller sends 10 MiB to submit, cancel and the token endpoint: it is refused
 *   before the body is read (issue 16, High 2).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.js';
import { exampleConfig, orderData } from '../support/system.js';
import { raw } from './support.js';

let stack: Stack;
let url: string;
let token: string;

beforeAll(async () => {
  stack = await startStack({ ...(await exampleConfig({ raiseLimits: true })), gateways: 1, workers: 0 });
  url = stack.gatewayUrls[0]!;
  token = await stack.token('acme');
  // Warm up: the first requests compile routes and grow the heap for reasons of their own.
  for (let i = 0; i < 5; i++)
    await submitRaw(JSON.stringify({ processType: 'order', data: orderData(`w${i}`) }));
});

afterAll(async () => {
  await stack?.close();
});

/** Resident set of the gateway process now, in MiB, with its peak reset to it (Linux ≥ 4.0). */
async function rssMiB(): Promise<number> {
  const pid = stack.gateways[0]!.child.pid;
  await writeFile(`/proc/${pid}/clear_refs`, '5');
  return statusMiB(pid, 'VmRSS');
}

/** Peak resident set of the gateway process since the last rssMiB(), in MiB. */
async function peakRssMiB(): Promise<number> {
  return statusMiB(stack.gateways[0]!.child.pid, 'VmHWM');
}

async function statusMiB(pid: number | undefined, field: string): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1]) / 1024;
}

function submitRaw(
  body: string | Buffer,
  auth: string | null = `Bearer ${token}`,
  path = '/api/stargate/processes',
) {
  return raw(url, {
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
    body,
  });
}

describe('schema violations by the thousand (High 1)', () => {
  it('a 120 KB order of empty items gets a short 400 and the gateway’s peak memory barely moves', async () => {
    const prefix =
      '{"processType":"order","clientProcessId":"m","data":{"orderId":"m","customerId":"c","currency":"EUR","items":[';
    const count = Math.floor((120 * 1024 - prefix.length) / 3);
    const body = `${prefix}${Array.from({ length: count }, () => '{}').join(',')}]}}`;
    const before = await rssMiB();
    const res = await submitRaw(body);
    const after = await peakRssMiB();
    console.info(
      `[memory] 120 KB of {} items: peak RSS ${before.toFixed(0)} → ${after.toFixed(0)} MiB, answer ${res.body.length} bytes`,
    );
    expect(res.status).toBe(400);
    const problem = JSON.parse(res.body) as { error: string; errors: unknown[]; errorCount?: number };
    expect(problem.error).toBe('INVALID_REQUEST');
    expect(problem.errors.length).toBeGreaterThanOrEqual(1);
    expect(problem.errors.length).toBeLessThanOrEqual(20);
    expect(res.body.length).toBeLessThan(16 * 1024);
    expect(after - before).toBeLessThan(40);
  });
});

describe('anonymous 10 MiB bodies (High 2)', () => {
  const big = Buffer.concat([
    Buffer.from('{"processType":"order","data":"'),
    Buffer.alloc(10 * 1024 * 1024 - 64, 'a'),
    Buffer.from('"}'),
  ]);

  it.each([
    ['submit', '/api/stargate/processes', 401],
    ['cancel', '/api/stargate/processes/00000000-0000-4000-8000-000000000000/cancel', 401],
    ['token', '/oauth/token', 413],
    ['token (API prefix)', '/api/stargate/oauth/token', 413],
  ])('%s: refused without being parsed; the peak memory barely moves', async (name, path, status) => {
    const before = await rssMiB();
    const started = Date.now();
    const res = await submitRaw(big, null, path);
    const after = await peakRssMiB();
    console.info(
      `[memory] anonymous 10 MiB to ${name}: ${res.status} in ${Date.now() - started} ms, peak RSS ${before.toFixed(0)} → ${after.toFixed(0)} MiB`,
    );
    // 401 (no credentials) or 413 (the token endpoint's small limit); 0 = the gateway closed
    // the connection after answering, before the rest of the body was sent.
    expect([0, status]).toContain(res.status);
    expect(after - before).toBeLessThan(8);
  });
});

describe('a tenant’s body is bounded by its largest process type before it is parsed (High 2)', () => {
  it('a chunked 5 MiB body (no Content-Length) is cut off with 413', async () => {
    const before = await rssMiB();
    const status = await new Promise<number>((resolve, reject) => {
      const u = new URL(url);
      const req = httpRequest(
        {
          host: u.hostname,
          port: u.port,
          method: 'POST',
          path: '/api/stargate/processes',
          agent: false,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) =>
        err.code === 'ECONNRESET' || err.code === 'EPIPE' ? resolve(0) : reject(err),
      );
      req.write('{"processType":"order","data":"');
      const chunk = Buffer.alloc(64 * 1024, 'a');
      let sent = 0;
      const pump = () => {
        while (sent < 5 * 1024 * 1024) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end('"}');
      };
      pump();
    });
    const after = await peakRssMiB();
    console.info(
      `[memory] chunked 5 MiB from a tenant: ${status}, peak RSS ${before.toFixed(0)} → ${after.toFixed(0)} MiB`,
    );
    expect([0, 413]).toContain(status);
    expect(after - before).toBeLessThan(8);
  });

  it('a declared 3 MiB body is refused from its Content-Length (the largest of acme’s types allows 1 MiB)', async () => {
    const res = await submitRaw(Buffer.alloc(3 * 1024 * 1024, ' '));
    expect([0, 413]).toContain(res.status);
    if (res.status) expect(JSON.parse(res.body)).toMatchObject({ error: 'PAYLOAD_TOO_LARGE' });
  });
});
