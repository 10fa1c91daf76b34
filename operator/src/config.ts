import { hostname } from 'node:os';

/** Operator settings, read once from the environment at start-up. */
export interface OperatorConfig {
  watchNamespace: string;
  gatewayNamespace: string;
  privateNamespace: string;
  gatewayConfigName: string;
  handlerImage: string;
  /** Images a ProcessType may name besides handlerImage: exact references or prefixes ending in `*`. */
  allowedHandlerImages: string[];
  tokenUrl: string;
  healthPort: number;
  leaseName: string;
  identity: string;
  resyncSeconds: number;
  /**
   * Secret (and key in it) in the private namespace holding STARGATE_ENCRYPTION_KEYS for handler
   * pods; undefined when encryption at rest is switched off (STARGATE_ENCRYPTION_AT_REST=false).
   */
  encryptionKeys?: { secret: string; key: string };
  /** How long a rotated-out client secret keeps working (0: not at all). */
  rotationGraceSeconds: number;
  /**
   * STARGATE_AMQP_QUORUM_INITIAL_GROUP_SIZE for handler pods (the chart's
   * `rabbitmq.quorumInitialGroupSize`); undefined: unset, handlers follow the rule from their URL.
   */
  amqpQuorumInitialGroupSize?: number;
  logLevel: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): OperatorConfig {
  const str = (name: string, fallback?: string): string => {
    const v = env[name]?.trim() || fallback;
    if (!v) throw new ConfigError(`${name} is required`);
    return v;
  };
  const ns = (name: string, fallback?: string): string => {
    const v = str(name, fallback);
    if (!DNS_LABEL.test(v)) throw new ConfigError(`${name}="${v}" is not a valid namespace name`);
    return v;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const v = Number(raw);
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new ConfigError(`${name}="${raw}" must be an integer between ${min} and ${max}`);
    }
    return v;
  };
  const watchNamespace = ns('STARGATE_WATCH_NAMESPACE');
  const tokenUrl = str('STARGATE_TOKEN_URL', 'http://localhost:8080/oauth/token');
  try {
    new URL(tokenUrl);
  } catch {
    throw new ConfigError(`STARGATE_TOKEN_URL="${tokenUrl}" is not a URL`);
  }
  const encryption = (env.STARGATE_ENCRYPTION_AT_REST?.trim() || 'true').toLowerCase();
  if (encryption !== 'true' && encryption !== 'false') {
    throw new ConfigError(
      `STARGATE_ENCRYPTION_AT_REST="${env.STARGATE_ENCRYPTION_AT_REST}" must be true or false`,
    );
  }
  const keysSecret = str('STARGATE_ENCRYPTION_KEYS_SECRET_NAME', 'stargate-encryption-keys');
  if (!DNS_SUBDOMAIN.test(keysSecret)) {
    throw new ConfigError(`STARGATE_ENCRYPTION_KEYS_SECRET_NAME="${keysSecret}" is not a valid Secret name`);
  }
  const keysKey = str('STARGATE_ENCRYPTION_KEYS_SECRET_KEY', 'keys');
  if (!SECRET_KEY.test(keysKey)) {
    throw new ConfigError(`STARGATE_ENCRYPTION_KEYS_SECRET_KEY="${keysKey}" is not a valid Secret key`);
  }
  return {
    watchNamespace,
    gatewayNamespace: ns('STARGATE_GATEWAY_NAMESPACE', watchNamespace),
    privateNamespace: ns('STARGATE_PRIVATE_NAMESPACE', watchNamespace),
    gatewayConfigName: str('STARGATE_GATEWAY_CONFIG_NAME', 'stargate-gateway-config'),
    handlerImage: str('STARGATE_HANDLER_IMAGE', 'stargate:latest'),
    allowedHandlerImages: (env.STARGATE_ALLOWED_HANDLER_IMAGES ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    tokenUrl,
    healthPort: int('STARGATE_HEALTH_PORT', 8081, 0, 65535),
    leaseName: str('STARGATE_LEASE_NAME', 'stargate-operator'),
    identity: str('POD_NAME', `${hostname()}-${process.pid}`),
    resyncSeconds: int('STARGATE_RESYNC_SECONDS', 300, 1, 86400),
    ...(encryption === 'true' ? { encryptionKeys: { secret: keysSecret, key: keysKey } } : {}),
    rotationGraceSeconds: int('STARGATE_ROTATION_GRACE_SECONDS', 3600, 0, 30 * 86400),
    // 0 (the chart's default) or empty: not set.
    ...(int('STARGATE_AMQP_QUORUM_INITIAL_GROUP_SIZE', 0, 0, 99) > 0
      ? { amqpQuorumInitialGroupSize: int('STARGATE_AMQP_QUORUM_INITIAL_GROUP_SIZE', 0, 0, 99) }
      : {}),
    logLevel: str('STARGATE_LOG_LEVEL', 'info'),
  };
}
