import { brokerUrls } from '@stargate/contracts';
import { DEFAULT_LONG_POLLS_PER_TENANT } from '../processes/long-poll-slots.js';
import { parseHostList, type RedisTopology } from './redis-client.js';

/** Gateway settings from the environment (names of the agreed runtime interface), checked once at start-up. */
export interface GatewayEnv {
  host: string;
  port: number;
  publicUrl: string;
  redisUrl: string;
  redisPrefix: string;
  redisTopology: RedisTopology;
  /** One AMQP URL, or the nodes of a RabbitMQ cluster separated by commas. */
  amqpUrl: string;
  /** `x-quorum-initial-group-size`; unset: 3 with several URLs, RabbitMQ's default with one. */
  amqpQuorumInitialGroupSize?: number;
  config: { kind: 'file'; path: string } | { kind: 'kubernetes'; namespace: string; name: string };
  issuer: string;
  audience: string;
  signingKeysDir: string;
  logLevel: string;
  idempotencyTtlSeconds: number;
  stateTtlSeconds: number;
  /** HTTPS served by the gateway itself: both files set, or neither (plain HTTP). */
  tls?: { certFile: string; keyFile: string; caFile?: string };
  /** A non-terminal state unchanged for this long is re-checked with the server; 0: never. */
  stateRecheckSeconds: number;
  /** Long polls a tenant may hold at once on this instance; more are answered without waiting. */
  longPollsPerTenant: number;
}

export function readGatewayEnv(env: NodeJS.ProcessEnv = process.env): GatewayEnv {
  const problems: string[] = [];
  const need = (name: string): string => {
    const v = env[name]?.trim();
    if (!v) problems.push(`${name} is required`);
    return v ?? '';
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
      return fallback;
    }
    return n;
  };
  const url = (name: string, fallback?: string): string => {
    const raw = env[name]?.trim() || fallback;
    if (!raw) {
      problems.push(`${name} is required`);
      return '';
    }
    try {
      new URL(raw);
    } catch {
      problems.push(`${name} is not a URL (got "${raw}")`);
    }
    return raw;
  };

  const amqpUrls = (name: string): string => {
    const raw = env[name]?.trim() ?? '';
    try {
      brokerUrls(raw, name);
    } catch (err) {
      problems.push((err as Error).message);
    }
    return raw;
  };

  const publicUrl = url('STARGATE_PUBLIC_URL', 'http://localhost:8080').replace(/\/+$/, '');
  const source = env.STARGATE_CONFIG_SOURCE?.trim() || 'file';
  let config: GatewayEnv['config'];
  if (source === 'kubernetes') {
    config = {
      kind: 'kubernetes',
      namespace: need('STARGATE_CONFIG_NAMESPACE'),
      name: need('STARGATE_CONFIG_NAME'),
    };
  } else if (source === 'file') {
    config = { kind: 'file', path: need('STARGATE_CONFIG_FILE') };
  } else {
    problems.push(`STARGATE_CONFIG_SOURCE must be "file" or "kubernetes" (got "${source}")`);
    config = { kind: 'file', path: '' };
  }
  const mode = env.STARGATE_REDIS_MODE?.trim() || 'standalone';
  let redisTopology: RedisTopology = { mode: 'standalone' };
  try {
    if (mode === 'sentinel') {
      redisTopology = {
        mode,
        sentinels: parseHostList('STARGATE_REDIS_SENTINELS', env.STARGATE_REDIS_SENTINELS ?? ''),
        masterName: env.STARGATE_REDIS_SENTINEL_MASTER?.trim() || 'mymaster',
      };
    } else if (mode === 'cluster') {
      redisTopology = {
        mode,
        nodes: parseHostList('STARGATE_REDIS_CLUSTER_NODES', env.STARGATE_REDIS_CLUSTER_NODES ?? ''),
      };
    } else if (mode !== 'standalone') {
      problems.push(`STARGATE_REDIS_MODE must be standalone, sentinel or cluster (got "${mode}")`);
    }
  } catch (err) {
    problems.push((err as Error).message);
  }
  const logLevel = env.STARGATE_LOG_LEVEL?.trim() || 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    problems.push(
      `STARGATE_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "${logLevel}")`,
    );
  }
  const certFile = env.STARGATE_TLS_CERT_FILE?.trim();
  const keyFile = env.STARGATE_TLS_KEY_FILE?.trim();
  const caFile = env.STARGATE_TLS_CA_FILE?.trim();
  if (Boolean(certFile) !== Boolean(keyFile)) {
    problems.push('STARGATE_TLS_CERT_FILE and STARGATE_TLS_KEY_FILE must be set together (or neither)');
  } else if (!certFile && caFile) {
    problems.push('STARGATE_TLS_CA_FILE needs STARGATE_TLS_CERT_FILE and STARGATE_TLS_KEY_FILE');
  }
  const result: GatewayEnv = {
    host: env.STARGATE_GATEWAY_HOST?.trim() || '0.0.0.0',
    port: int('STARGATE_GATEWAY_PORT', 8080, 0, 65535),
    publicUrl,
    redisUrl: url('STARGATE_REDIS_URL'),
    redisPrefix: env.STARGATE_REDIS_PREFIX?.trim() || 'sg',
    redisTopology,
    amqpUrl: amqpUrls('STARGATE_AMQP_URL'),
    ...(env.STARGATE_AMQP_QUORUM_INITIAL_GROUP_SIZE?.trim()
      ? { amqpQuorumInitialGroupSize: int('STARGATE_AMQP_QUORUM_INITIAL_GROUP_SIZE', 3, 1, 99) }
      : {}),
    config,
    issuer: env.STARGATE_TOKEN_ISSUER?.trim() || publicUrl,
    audience: env.STARGATE_TOKEN_AUDIENCE?.trim() || 'stargate-api',
    signingKeysDir: need('STARGATE_SIGNING_KEYS_DIR'),
    logLevel,
    idempotencyTtlSeconds: int('STARGATE_IDEMPOTENCY_TTL_SECONDS', 86_400, 60, 30 * 86_400),
    stateTtlSeconds: int('STARGATE_STATE_TTL_SECONDS', 86_400, 60, 365 * 86_400),
    ...(certFile && keyFile ? { tls: { certFile, keyFile, ...(caFile ? { caFile } : {}) } } : {}),
    stateRecheckSeconds: int('STARGATE_STATE_RECHECK_SECONDS', 300, 0, 86_400),
    longPollsPerTenant: int('STARGATE_LONG_POLLS_PER_TENANT', DEFAULT_LONG_POLLS_PER_TENANT, 0, 100_000),
  };
  if (problems.length) throw new Error(`invalid gateway configuration: ${problems.join('; ')}`);
  return result;
}
