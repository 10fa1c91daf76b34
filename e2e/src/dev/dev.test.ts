/**
 * `make dev` as a user runs it: renders examples/, starts the gateway and a worker as
 * processes, and the demo client sees its orders and shipment reach their final states.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, REPO_ROOT } from '../support/stack.js';

describe('make dev', () => {
  it('runs the demo to its end and stops cleanly', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'stargate-dev-'));
    try {
      const port = await freePort();
      const child = spawn(process.execPath, [join(REPO_ROOT, 'e2e/dist/dev/main.js')], {
        env: {
          ...process.env,
          STARGATE_DEV_PORT: String(port),
          STARGATE_DEV_DATA_DIR: dataDir,
          STARGATE_DEV_EXIT_AFTER_DEMO: '1',
        },
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
      expect(out).toContain(`StarGate is running: gateway http://127.0.0.1:${port}`);
      expect(out).toMatch(/✓ order demo-\S+-order-1: completed/);
      expect(out).toMatch(/✓ shipping demo-\S+-shipment-1: completed/);
      expect(out).toMatch(/✗ order demo-\S+-order-2: INVENTORY_INSUFFICIENT/);
      expect(out).toContain('stopped.');
      expect(code).toBe(0);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
