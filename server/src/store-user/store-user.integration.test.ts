import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { eventually, freePort, type PrivateService, privateService } from '@stargate/testkit';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureStoreUser } from './store-user.js';

const root = { username: 'root', password: 'root-secret' };
const MAIN = fileURLToPath(new URL('../../dist/store-user/main.js', import.meta.url));

/** FerretDB 1.24 with authentication: the stand-in the local cluster runs for the chart's MongoDB. */
describe('the handlers store user (FerretDB with SCRAM, as in the local cluster)', () => {
  let store: PrivateService;
  let admin: MongoClient;
  const host = () => new URL(store.url).host;
  const as = async (user: string, password: string, db = 'stargate') => {
    const c = new MongoClient(`mongodb://${host()}/${db}?authSource=${db}`, {
      auth: { username: user, password },
      serverSelectionTimeoutMS: 3000,
    });
    await c.connect();
    return c;
  };

  beforeAll(async () => {
    store = await privateService('ferretdb', { root });
    admin = new MongoClient(`mongodb://${host()}/?authSource=admin`, { auth: root });
    await admin.connect();
  }, 300_000);
  afterAll(async () => {
    await admin?.close();
    await store?.close();
  });

  it('creates a user of its own database with its own password, and applies a new password on the next run', async () => {
    const first = await ensureStoreUser(admin.db('stargate'), 'stargate-server', 'pw-1');
    expect(first.action).toBe('created');
    const handler = await as('stargate-server', 'pw-1');
    await handler.db('stargate').collection('processes').insertOne({ processId: 'p1' });
    expect(await handler.db('stargate').collection('processes').countDocuments()).toBe(1);
    await handler.close();
    await expect(as('stargate-server', 'wrong')).rejects.toThrow(/Authentication failed/);

    expect(await ensureStoreUser(admin.db('stargate'), 'stargate-server', 'pw-2')).toMatchObject({
      action: 'updated',
    });
    await expect(as('stargate-server', 'pw-1')).rejects.toThrow(/Authentication failed/);
    await (await as('stargate-server', 'pw-2')).close();
  });

  it('says so when the store cannot limit the user (FerretDB 1.x has no roles): it may still write elsewhere', async () => {
    const outcome = await ensureStoreUser(admin.db('stargate'), 'stargate-server', 'pw-2');
    // If this turns true, the store began to enforce roles: update docs/security.md.
    expect(outcome.rolesEnforced).toBe(false);
    const handler = await as('stargate-server', 'pw-2');
    try {
      await expect(handler.db('elsewhere').collection('x').insertOne({ a: 1 })).resolves.toBeTruthy();
    } finally {
      await handler.close();
    }
  });

  it('the sidecar entry point keeps the user in place, is ready once it exists, and stops cleanly on SIGTERM', async () => {
    const healthPort = await freePort();
    const child = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        STARGATE_MONGO_HOST: host(),
        STARGATE_MONGO_ADMIN_USERNAME: root.username,
        STARGATE_MONGO_ADMIN_PASSWORD: root.password,
        STARGATE_MONGO_SERVER_USERNAME: 'sidecar-made',
        STARGATE_MONGO_SERVER_PASSWORD: 'pw-s',
        STARGATE_LOG_LEVEL: 'warn',
        STARGATE_HEALTH_PORT: String(healthPort),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const c = await eventually(() => as('sidecar-made', 'pw-s').catch(() => undefined), 30_000, 500);
      await c.close();
      expect(out).toContain('does not enforce roles');
      const ready = await eventually(async () => {
        const r = await fetch(`http://127.0.0.1:${healthPort}/health/ready`).catch(() => undefined);
        return r?.status === 200 ? r : undefined;
      });
      expect(ready.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
