/**
 * `make dev` as a user runs it: the operator on the development API server, examples/ applied
 * with kubectl, gateway and handler workers following what the operator writes, the demo client
 * on operator-generated credentials, and the live onboarding of a tenant. Then `make dev-files`,
 * the path without Kubernetes. Each run gets its own namespace (and vhost, database, key
 * prefix), gateway port and data folder, and removes them at the end.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueName } from '@stargate/testkit';
import { describe, expect, it } from 'vitest';
import { freePort, REPO_ROOT } from '../support/stack.js';

async function runDev(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'e2e/dist/dev/main.js'), ...args], {
    env: { ...process.env, STARGATE_DEV_EXIT_AFTER_DEMO: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, out };
}

describe('make dev', () => {
  it('runs the operator on the API server, the demo on its credentials, and onboards a tenant live', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'stargate-dev-'));
    const namespace = uniqueName('dev');
    try {
      const port = await freePort();
      const { code, out } = await runDev([], {
        STARGATE_DEV_PORT: String(port),
        STARGATE_DEV_DATA_DIR: dataDir,
        STARGATE_DEV_NAMESPACE: namespace,
        STARGATE_DEV_TEARDOWN: '1',
      });
      const context = `\n--- make dev output ---\n${out}`;
      // The figures a reader of the test log wants: start time and onboarding propagation.
      console.log(out.match(/^StarGate is running.*$/m)?.[0], out.match(/^Measured: .*$/m)?.[0]);
      // The platform engineer's view: examples applied, both kinds Ready in `kubectl get`.
      expect(out, context).toContain(`$ kubectl -n ${namespace} apply -f examples/`);
      expect(out, context).toContain('tenant.stargate.io/acme created');
      expect(out, context).toMatch(/processtype\.stargate\.io\/order\s+True\s+\w+\s+builtin:order/);
      expect(out, context).toMatch(/tenant\.stargate\.io\/acme\s+True/);
      expect(out, context).toContain(`StarGate is running`);
      expect(out, context).toContain(`gateway http://127.0.0.1:${port}`);
      expect(out, context).toMatch(/KUBECONFIG=\S+ \S+kubectl -n \S+ get stargate/);
      // The customer's view: the demo on operator-generated credentials.
      expect(out, context).toMatch(/✓ order demo-\S+-order-1: completed/);
      expect(out, context).toMatch(/✓ shipping demo-\S+-shipment-1: completed/);
      expect(out, context).toMatch(/✗ order demo-\S+-order-2: INVENTORY_INSUFFICIENT/);
      // Live onboarding: a new tenant gets a 202 within seconds, is refused when suspended,
      // accepted when resumed, and sees its new rate limit in the headers.
      expect(out, context).toContain(`$ kubectl -n ${namespace} apply -f e2e/src/dev/tenant-initech.yaml`);
      const first202 = /kubectl apply → first 202: ([\d.]+) s/.exec(out);
      expect(first202, context).not.toBeNull();
      expect(Number(first202?.[1])).toBeLessThan(30);
      expect(out, context).toMatch(/with its token → 403 TENANT_SUSPENDED/);
      expect(out, context).toMatch(/RateLimit-Policy before: .*q=600/);
      expect(out, context).toMatch(/RateLimit-Policy after: .*q=60;/);
      expect(out, context).toContain('stopped.');
      expect(code, context).toBe(0);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 360_000);

  it('make dev-files runs the demo from rendered files and stops cleanly', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'stargate-dev-files-'));
    try {
      const port = await freePort();
      const { code, out } = await runDev(['files'], {
        STARGATE_DEV_PORT: String(port),
        STARGATE_DEV_DATA_DIR: dataDir,
        STARGATE_DEV_NAMESPACE: uniqueName('dev-files'),
        STARGATE_DEV_TEARDOWN: '1',
      });
      const context = `\n--- make dev-files output ---\n${out}`;
      expect(out, context).toContain(`gateway http://127.0.0.1:${port}`);
      expect(out, context).toMatch(/✓ order demo-\S+-order-1: completed/);
      expect(out, context).toMatch(/✓ shipping demo-\S+-shipment-1: completed/);
      expect(out, context).toMatch(/✗ order demo-\S+-order-2: INVENTORY_INSUFFICIENT/);
      expect(out, context).toContain('stopped.');
      expect(code, context).toBe(0);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
