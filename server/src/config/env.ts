import { readFile } from 'node:fs/promises';
import { brokerUrls, type ServerConfig } from '@stargate/contracts';
import { parse as parseYaml } from 'yaml';
import { type EncryptionKey, parseEncryptionKeys, parseLegacyRead } from '../crypto/field-cipher.js';
import { ConfigError } from '../handlers/registry.js';

/** The worker's settings, read once from the environment (names agreed in the runtime interface). */
export interface ServerEnv {
  /** One AMQP URL, or the nodes of a RabbitMQ cluster separated by commas. */
  amqpUrl: string;
  /** `x-quorum-initial-group-size`; unset: 3 with several URLs, RabbitMQ's default with one. */
  quorumInitialGroupSize?: number;
  mongoUrl: string;
  dbName: string;
  processTypes: string[];
  serverConfig: ServerConfig | undefined;
  encryptionKeys: EncryptionKey[];
  healthPort: number;
  logLevel: string;
  shutdownGraceSeconds: number;
  /** STARGATE_LEASE_SECONDS: how long a run owns its process unless renewed. */
  leaseSeconds: number;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name]?.trim();
  if (!v) throw new ConfigError(`${name} is required`);
  return v;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ConfigError(`${name} must be an integer in [${min}, ${max}], got "${raw}"`);
  return n;
}

async function readServerConfig(path: string): Promise<ServerConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`STARGATE_SERVER_CONFIG_FILE: cannot read ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(
      `STARGATE_SERVER_CONFIG_FILE: ${path} is not valid JSON/YAML: ${(err as Error).message}`,
    );
  }
  const config = parsed as Partial<ServerConfig> | null;
  if (!config || !Array.isArray(config.processTypes))
    throw new ConfigError(`STARGATE_SERVER_CONFIG_FILE: ${path} has no processTypes list`);
  return config as ServerConfig;
}

export async function readServerEnv(env: NodeJS.ProcessEnv): Promise<ServerEnv> {
  const configFile = env.STARGATE_SERVER_CONFIG_FILE?.trim();
  const serverConfig = configFile ? await readServerConfig(configFile) : undefined;
  const listed = (env.STARGATE_PROCESS_TYPES ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const processTypes = listed.length > 0 ? listed : (serverConfig?.processTypes.map((p) => p.name) ?? []);
  if (processTypes.length === 0)
    throw new ConfigError(
      'STARGATE_PROCESS_TYPES is required (or a STARGATE_SERVER_CONFIG_FILE listing process types)',
    );
  const amqpUrl = required(env, 'STARGATE_AMQP_URL');
  try {
    brokerUrls(amqpUrl);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  return {
    amqpUrl,
    ...(env.STARGATE_AMQP_QUORUM_INITIAL_GROUP_SIZE?.trim()
      ? { quorumInitialGroupSize: integer(env, 'STARGATE_AMQP_QUORUM_INITIAL_GROUP_SIZE', 3, 1, 99) }
      : {}),
    mongoUrl: required(env, 'STARGATE_MONGO_URL'),
    dbName: env.STARGATE_MONGO_DB?.trim() || 'stargate',
    processTypes,
    serverConfig,
    encryptionKeys: env.STARGATE_ENCRYPTION_KEYS?.trim()
      ? parseEncryptionKeys(env.STARGATE_ENCRYPTION_KEYS, {
          legacyRead: parseLegacyRead(env.STARGATE_ENCRYPTION_LEGACY_READ),
        })
      : [],
    healthPort: integer(env, 'STARGATE_HEALTH_PORT', 9090, 0, 65535),
    logLevel: env.STARGATE_LOG_LEVEL?.trim() || 'info',
    shutdownGraceSeconds: integer(env, 'STARGATE_SHUTDOWN_GRACE_SECONDS', 30, 0, 3600),
    leaseSeconds: integer(env, 'STARGATE_LEASE_SECONDS', 30, 1, 3600),
  };
}
