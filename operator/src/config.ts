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
  /** How long a rotated-out client secret keeps working (0: not at all). */
  rotationGraceSeconds: number;
  logLevel: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

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
    rotationGraceSeconds: int('STARGATE_ROTATION_GRACE_SECONDS', 3600, 0, 30 * 86400),
    logLevel: str('STARGATE_LOG_LEVEL', 'info'),
  };
}
