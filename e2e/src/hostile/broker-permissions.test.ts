/**
 * Per-zone RabbitMQ users (issue 16, Medium 11), with the permissions the chart gives them
 * (charts/stargate/files/rabbitmq-permissions.json): the whole system works with them, and the
 * internet-facing gateway's user can publish requests and read its own queues only — it can
 * neither take work from a process queue nor forge a state event.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EXCHANGES, processQueue } from '@stargate/contracts';
import { type RunningGateway, startGateway } from '@stargate/gateway';
import { type RunningServer, startServer } from '@stargate/server';
import {
  createVhost,
  eventually,
  mongoDatabase,
  redisPrefix,
  serviceEnv,
  type Vhost,
} from '@stargate/testkit';
import { connect } from 'amqplib';
import { MongoClient } from 'mongodb';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/stack.js';
import { type ExampleConfig, exampleConfig, orderData } from '../support/system.js';

type Permissions = Record<'gateway' | 'server', { configure: string; write: string; read: string }>;

let vhost: Vhost;
let gw: RunningGateway;
let server: RunningServer;
let cfg: ExampleConfig;
const users: string[] = [];
const mongo = mongoDatabase('perm');
const urls: Record<'gateway' | 'server', string> = { gateway: '', server: '' };

function mgmt(path: string, method = 'GET', body?: unknown) {
  const base = new URL(serviceEnv().rabbitMgmtUrl);
  const auth = Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`);
  return fetch(`${base.protocol}//${base.host}/api/${path}`, {
    method,
    headers: { authorization: `Basic ${auth.toString('base64')}`, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
}

/** A RabbitMQ user with the chart's permissions for `zone` on the test vhost; its AMQP URL. */
async function zoneUser(zone: 'gateway' | 'server', permissions: Permissions): Promise<string> {
  const name = `${zone}-${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  expect((await mgmt(`users/${name}`, 'PUT', { password, tags: '' })).ok).toBe(true);
  users.push(name);
  const res = await mgmt(`permissions/${encodeURIComponent(vhost.name)}/${name}`, 'PUT', permissions[zone]);
  expect(res.ok).toBe(true);
  const url = new URL(vhost.url);
  url.username = name;
  url.password = password;
  return url.toString();
}

beforeAll(async () => {
  const permissions = JSON.parse(
    await readFile(join(REPO_ROOT, 'charts/stargate/files/rabbitmq-permissions.json'), 'utf8'),
  ) as Permissions;
  vhost = await createVhost('perm');
  urls.server = await zoneUser('server', permissions);
  urls.gateway = await zoneUser('gateway', permissions);
  cfg = await exampleConfig({ raiseLimits: true });
  server = await startServer({
    amqpUrl: urls.server,
    mongoUrl: mongo.url,
    dbName: mongo.dbName,
    processTypes: cfg.serverConfig.processTypes.map((p) => p.name),
    serverConfig: cfg.serverConfig,
    logger: pino({ level: 'silent' }),
  });
  gw = await startGateway({
    config: cfg.gatewayConfig,
    redisUrl: serviceEnv().redisUrl,
    redisPrefix: redisPrefix('perm'),
    amqpUrl: urls.gateway,
    logLevel: 'silent',
  });
});

afterAll(async () => {
  await gw?.close();
  await server?.close();
  await vhost?.close().catch(() => undefined);
  for (const u of users) await mgmt(`users/${u}`, 'DELETE').catch(() => undefined);
  const m = new MongoClient(mongo.url);
  await m
    .db(mongo.dbName)
    .dropDatabase()
    .catch(() => undefined);
  await m.close();
});

it('a process runs end to end with the gateway and the handlers on their own least-privilege users', async () => {
  const cred = cfg.credentials.find((c) => c.tenantId === 'acme')!;
  const tokenRes = await fetch(`${gw.url}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${cred.clientId}:${cred.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  const token = ((await tokenRes.json()) as { access_token: string }).access_token;
  const submitted = await fetch(`${gw.url}/api/stargate/processes`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ processType: 'order', clientProcessId: 'perm', data: orderData('perm') }),
  });
  expect(submitted.status).toBe(202);
  const { processId } = (await submitted.json()) as { processId: string };
  await eventually(async () => {
    const res = await fetch(`${gw.url}/api/stargate/processes/${processId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return res.ok && ((await res.json()) as { status: string }).status === 'completed';
  }, 60_000);
});

/** Runs `attempt` on a fresh channel of the gateway's user; the broker's refusal code, or 0. */
async function refusal(attempt: (ch: import('amqplib').ConfirmChannel) => Promise<unknown>): Promise<number> {
  const conn = await connect(urls.gateway);
  try {
    const ch = await conn.createConfirmChannel();
    const closed = new Promise<number>((resolve) =>
      ch.once('error', (err: { code?: number }) => resolve(err.code ?? -1)),
    );
    const outcome = await Promise.race([
      attempt(ch).then(
        () => 0,
        (err: { code?: number }) => err.code ?? -1,
      ),
      closed,
    ]);
    return outcome === 0
      ? Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(0), 1000))])
      : outcome;
  } finally {
    await conn.close().catch(() => undefined);
  }
}

it('the gateway user cannot take work from a process queue', async () => {
  expect(await refusal((ch) => ch.consume(processQueue('order'), () => undefined))).toBe(403);
});

it('the gateway user cannot forge a state event', async () => {
  expect(
    await refusal(async (ch) => {
      ch.publish(EXCHANGES.events, 'acme.order.completed', Buffer.from('{}'));
      await ch.waitForConfirms();
    }),
  ).toBe(403);
});

it('the gateway user cannot declare queues of its own', async () => {
  expect(await refusal((ch) => ch.assertQueue('stargate.process.evil', { durable: true }))).toBe(403);
});
