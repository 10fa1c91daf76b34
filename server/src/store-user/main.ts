/**
 * `node server/dist/store-user/main.js`: runs beside the built-in MongoDB (a second container
 * of its pod, so it reaches it on 127.0.0.1 and needs no NetworkPolicy) and keeps the handlers'
 * least-privilege user in place: created on first start, password and role re-applied every
 * STARGATE_STORE_USER_INTERVAL_SECONDS. Only this container holds the root password.
 * Probes on STARGATE_HEALTH_PORT (9091): `/health/live`, and `/health/ready` once the user exists,
 * so the store's pod (and its Service name) is ready only when handlers can log in.
 */
import { createServer } from 'node:http';
import { MongoClient } from 'mongodb';
import pino from 'pino';
import { ensureStoreUser } from './store-user.js';

const log = pino({ name: 'stargate-store-user', level: process.env.STARGATE_LOG_LEVEL?.trim() || 'info' });

function required(name: string): string {
  const v = process.env[name]?.trim();
  if (!v) {
    log.fatal(`${name} is required`);
    process.exit(2);
  }
  return v;
}

const host = process.env.STARGATE_MONGO_HOST?.trim() || '127.0.0.1:27017';
const adminUser = required('STARGATE_MONGO_ADMIN_USERNAME');
const adminPassword = required('STARGATE_MONGO_ADMIN_PASSWORD');
const user = required('STARGATE_MONGO_SERVER_USERNAME');
const password = required('STARGATE_MONGO_SERVER_PASSWORD');
const dbName = process.env.STARGATE_MONGO_DB?.trim() || 'stargate';
const interval = Number(process.env.STARGATE_STORE_USER_INTERVAL_SECONDS?.trim() || 300);
if (!Number.isInteger(interval) || interval < 10 || interval > 86_400) {
  log.fatal(`STARGATE_STORE_USER_INTERVAL_SECONDS must be an integer between 10 and 86400`);
  process.exit(2);
}

const healthPort = Number(process.env.STARGATE_HEALTH_PORT?.trim() || 9091);
if (!Number.isInteger(healthPort) || healthPort < 0 || healthPort > 65_535) {
  log.fatal('STARGATE_HEALTH_PORT must be a port number');
  process.exit(2);
}

let stopping = false;
let ensured = false;
let timer: NodeJS.Timeout | undefined;

const health = createServer((req, res) => {
  const ok = req.url === '/health/live' || (req.url === '/health/ready' && ensured);
  res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not ready\n');
});
health.listen(healthPort);

async function once(): Promise<boolean> {
  const client = new MongoClient(`mongodb://${host}/?authSource=admin`, {
    auth: { username: adminUser, password: adminPassword },
    serverSelectionTimeoutMS: 5000,
  });
  try {
    await client.connect();
    const outcome = await ensureStoreUser(client.db(dbName), user, password);
    const msg = outcome.rolesEnforced
      ? `store user ${user} ${outcome.action}: readWrite on ${dbName} only`
      : `store user ${user} ${outcome.action}, but this store does not enforce roles: it has its own password, not fewer rights than root`;
    (outcome.rolesEnforced ? log.info.bind(log) : log.warn.bind(log))({ ...outcome, user, db: dbName }, msg);
    return true;
  } catch (err) {
    log.warn({ err: (err as Error).message }, `cannot ensure store user ${user} yet; retrying`);
    return false;
  } finally {
    await client.close().catch(() => undefined);
  }
}

async function loop(): Promise<void> {
  if (stopping) return;
  const ok = await once();
  if (ok) ensured = true;
  if (!stopping) timer = setTimeout(() => void loop(), ok ? interval * 1000 : 2000);
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    stopping = true;
    if (timer) clearTimeout(timer);
    health.close();
    process.exit(0);
  });
}
void loop();
