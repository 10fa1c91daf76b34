/**
 * An in-process gateway on the example configuration (plus a suspended tenant), with the
 * signing key in hand so tests can mint valid, expired, mis-addressed and forged tokens.
 */
import { request as httpRequest } from 'node:http';
import type { GatewayConfig } from '@stargate/contracts';
import { buildSigningKeys, generateSigningKey, type RunningGateway, startGateway } from '@stargate/gateway';
import { type RunningServer, startServer } from '@stargate/server';
import { createVhost, mongoDatabase, redisPrefix, serviceEnv, type Vhost } from '@stargate/testkit';
import { MongoClient } from 'mongodb';
import { pino } from 'pino';
import { SignJWT } from 'jose';
import { exampleConfig } from '../support/system.js';

export const ISSUER = 'http://stargate.hostile';
export const AUDIENCE = 'stargate-api';

export interface HostileGateway {
  url: string;
  config: GatewayConfig;
  /** Redis the gateway uses and its key prefix (to simulate lost records). */
  redisUrl: string;
  redisPrefix: string;
  /** A token for `tid` signed with the gateway's own key; claims can be overridden. */
  mint(claims: Record<string, unknown>, opts?: { key?: 'real' | 'other'; alg?: string }): Promise<string>;
  /** A client-credentials token from the gateway itself. */
  token(tenantId: 'acme' | 'globex'): Promise<string>;
  close(): Promise<void>;
}

export async function startHostileGateway(
  options: { stateRecheckAfterMs?: number } = {},
): Promise<HostileGateway> {
  const cfg = await exampleConfig({ raiseLimits: true });
  const acme = cfg.gatewayConfig.tenants.find((t) => t.id === 'acme');
  if (!acme) throw new Error('examples have no acme tenant');
  // A suspended tenant: same shape as acme, but suspended.
  cfg.gatewayConfig.tenants.push({ ...acme, id: 'initech', clientId: 'initech-client', suspended: true });
  const real = await generateSigningKey('k1');
  const other = await generateSigningKey('k1');
  const vhost: Vhost = await createVhost('hostile');
  const env = serviceEnv();
  const prefix = redisPrefix('hostile');
  const gw: RunningGateway = await startGateway({
    config: cfg.gatewayConfig,
    redisUrl: env.redisUrl,
    redisPrefix: prefix,
    amqpUrl: vhost.url,
    signingKeys: buildSigningKeys([real]),
    issuer: ISSUER,
    audience: AUDIENCE,
    logLevel: 'silent',
    ...options,
  });
  // A real server behind it: status misses are answered from MongoDB over RPC, as in production.
  const mongo = mongoDatabase('hostile');
  const server: RunningServer = await startServer({
    amqpUrl: vhost.url,
    mongoUrl: mongo.url,
    dbName: mongo.dbName,
    processTypes: cfg.serverConfig.processTypes.map((p) => p.name),
    serverConfig: cfg.serverConfig,
    logger: pino({ level: 'silent' }),
  });
  const now = () => Math.floor(Date.now() / 1000);
  return {
    url: gw.url,
    config: cfg.gatewayConfig,
    redisUrl: env.redisUrl,
    redisPrefix: prefix,
    async mint(claims, opts = {}) {
      const key = opts.key === 'other' ? other : real;
      const payload = {
        iss: ISSUER,
        aud: AUDIENCE,
        sub: 'acme-client',
        tid: 'acme',
        scope: 'process:order:submit process:order:read',
        jti: `j-${Math.random().toString(36).slice(2)}`,
        iat: now(),
        exp: now() + 600,
        ...claims,
      };
      for (const [k, v] of Object.entries(payload))
        if (v === undefined) delete payload[k as keyof typeof payload];
      return new SignJWT(payload)
        .setProtectedHeader({ alg: opts.alg ?? 'ES256', kid: key.kid })
        .sign(key.privateKey);
    },
    async token(tenantId) {
      const cred = cfg.credentials.find((c) => c.tenantId === tenantId);
      if (!cred) throw new Error(tenantId);
      const res = await fetch(`${gw.url}/oauth/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${cred.clientId}:${cred.clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      });
      if (!res.ok) throw new Error(`token: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { access_token: string }).access_token;
    },
    async close() {
      await gw.close();
      await server.close();
      await vhost.close().catch(() => undefined);
      const m = new MongoClient(mongo.url);
      await m
        .db(mongo.dbName)
        .dropDatabase()
        .catch(() => undefined);
      await m.close();
      const { Redis } = await import('ioredis');
      const redis = new Redis(env.redisUrl);
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    },
  };
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * A request through node:http with headers and paths exactly as given (fetch would refuse
 * or normalise the hostile ones). A connection the server closes answers status 0.
 */
export function raw(
  baseUrl: string,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawAnswer> {
  const u = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: u.hostname,
        port: u.port,
        method: opts.method ?? 'GET',
        path: opts.path,
        headers: {
          ...(opts.body !== undefined ? { 'content-length': String(Buffer.byteLength(opts.body)) } : {}),
          ...opts.headers,
        },
        insecureHTTPParser: false,
        // A fresh connection each time: a socket the server closed after refusing a body must
        // not turn the next request into a reset.
        agent: false,
        timeout: 20_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => {
      // The server may answer 413 and close before reading an oversized body.
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') resolve({ status: 0, headers: {}, body: '' });
      else reject(err);
    });
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}
