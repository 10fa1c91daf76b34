/**
 * Proof that each development service is the real thing, driven by the same client
 * libraries the product uses. If a service is stopped, these fail.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { createVhost, mongoDatabase, redisPrefix, serviceEnv, uniqueName } from '@stargate/testkit';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { MongoClient, MongoServerError } from 'mongodb';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('Redis', () => {
  it('answers PING and runs a Lua script atomically', async () => {
    const redis = new Redis(serviceEnv().redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    try {
      expect(await redis.ping()).toBe('PONG');
      const key = `${redisPrefix('smoke')}:counter`;
      const script =
        "local v = redis.call('INCRBY', KEYS[1], ARGV[1]); redis.call('PEXPIRE', KEYS[1], 10000); return v";
      expect(await redis.eval(script, 1, key, 5)).toBe(5);
      expect(await redis.eval(script, 1, key, 2)).toBe(7);
      await redis.del(key);
    } finally {
      redis.disconnect();
    }
  });
});

describe('RabbitMQ', () => {
  it('confirms a persistent publish to a quorum queue and delivers it for manual ack', async () => {
    const vhost = await createVhost('smoke');
    const conn = await amqp.connect(vhost.url);
    try {
      const ch = await conn.createConfirmChannel();
      await ch.assertQueue('smoke.q', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
      ch.sendToQueue('smoke.q', Buffer.from(JSON.stringify({ hello: 'world' })), { persistent: true });
      await ch.waitForConfirms();
      const got = await new Promise<amqp.ConsumeMessage>((resolve) => {
        void ch.prefetch(1).then(() => ch.consume('smoke.q', (m) => m && resolve(m), { noAck: false }));
      });
      expect(JSON.parse(got.content.toString())).toEqual({ hello: 'world' });
      ch.ack(got);
      await ch.close();
      expect(await vhost.queueDepth('smoke.q')).toBeGreaterThanOrEqual(0);
    } finally {
      await conn.close();
      await vhost.close();
    }
  });
});

describe('MongoDB wire protocol (mongo-java-server)', () => {
  it('inserts, finds, and reports a unique-index violation as code 11000', async () => {
    const { url, dbName } = mongoDatabase('smoke');
    const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000 });
    await client.connect();
    try {
      const col = client.db(dbName).collection<{ processId: string; n: number }>('processes');
      await col.createIndex({ processId: 1 }, { unique: true });
      await col.insertOne({ processId: 'p1', n: 1 });
      expect(await col.findOne({ processId: 'p1' })).toMatchObject({ processId: 'p1', n: 1 });
      const dup = await col.insertOne({ processId: 'p1', n: 2 }).catch((e: unknown) => e);
      expect(dup).toBeInstanceOf(MongoServerError);
      expect((dup as MongoServerError).code).toBe(11000);
      await client.db(dbName).dropDatabase();
    } finally {
      await client.close();
    }
  });
});

describe('Kubernetes API server', () => {
  it('creates a namespace and a ConfigMap and delivers the watch event', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(serviceEnv().kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const ns = uniqueName('smoke');
    await core.createNamespace({ body: { metadata: { name: ns } } });
    try {
      const seen = new Promise<string>((resolve, reject) => {
        const watch = new k8s.Watch(kc);
        void watch
          .watch(
            `/api/v1/namespaces/${ns}/configmaps`,
            {},
            (type, obj: k8s.V1ConfigMap) => {
              if (type === 'ADDED' && obj.metadata?.name === 'hello') resolve(obj.data?.greeting ?? '');
            },
            (err) => err && reject(err),
          )
          .then((req) => setTimeout(() => req.abort(), 15_000));
      });
      await core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: 'hello' }, data: { greeting: 'hi' } },
      });
      expect(await seen).toBe('hi');
    } finally {
      await core.deleteNamespace({ name: ns });
    }
  });
});

describe('Helm', () => {
  it('lints and templates a minimal chart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chart-'));
    await writeFile(join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: smoke\nversion: 0.1.0\n');
    await run('mkdir', ['-p', join(dir, 'templates')]);
    await writeFile(
      join(dir, 'templates', 'cm.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  v: {{ .Values.v | quote }}\n',
    );
    await writeFile(join(dir, 'values.yaml'), 'v: hello\n');
    const lint = await run(serviceEnv().helm, ['lint', dir]);
    expect(lint.stdout).toContain('0 chart(s) failed');
    const tpl = await run(serviceEnv().helm, ['template', 'rel', dir]);
    expect(tpl.stdout).toContain('name: rel-cm');
    expect(tpl.stdout).toContain('v: "hello"');
  });
});
