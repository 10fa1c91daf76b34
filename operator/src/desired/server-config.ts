import {
  DEFAULT_RETRY_POLICY,
  type ProcessType,
  type ProcessTypeRuntimeConfig,
  type ServerConfig,
  type Tenant,
} from '@stargate/contracts';
import { DEFAULT_TIMEOUT_SECONDS } from './gateway-config.js';

export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_RETENTION_DAYS = 30;
/** Environment variable of the handler container that holds the forwarding credentials. */
export const FORWARD_CREDENTIALS_ENV = 'STARGATE_FORWARD_CREDENTIALS';
/** Where a custom handler image must provide its handler module (documented in docs/operator.md). */
export const CUSTOM_HANDLER_MODULE = '/handler/index.js';

export function runtimeConfig(pt: ProcessType): ProcessTypeRuntimeConfig {
  const s = pt.spec;
  const h = s.handler;
  let handler: ProcessTypeRuntimeConfig['handler'];
  if (h.forward) {
    const ref = h.forward.credentialsSecretRef;
    handler = {
      forward: {
        url: h.forward.url,
        method: h.forward.method ?? 'POST',
        timeoutSeconds: h.forward.timeoutSeconds ?? 30,
        ...(h.forward.headers ? { headers: h.forward.headers } : {}),
        ...(ref
          ? { credentialsEnv: FORWARD_CREDENTIALS_ENV, credentialsHeader: ref.header ?? 'authorization' }
          : {}),
      },
    };
  } else if (h.image) {
    handler = { module: CUSTOM_HANDLER_MODULE };
  } else {
    handler = { builtin: h.builtin ?? pt.metadata.name };
  }
  return {
    name: pt.metadata.name,
    handler,
    concurrency: h.concurrency ?? DEFAULT_CONCURRENCY,
    timeoutSeconds: s.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
    retry: { ...DEFAULT_RETRY_POLICY, ...s.retry },
    ...(s.queue ? { queue: { ...s.queue } } : {}),
    requestSchema: s.requestSchema,
    ...(s.resultSchema ? { resultSchema: s.resultSchema } : {}),
  };
}

/** Human summary of the handler, for `kubectl get processtypes`. */
export function handlerSummary(pt: ProcessType): string {
  const h = pt.spec.handler;
  if (h.forward) return `forward:${h.forward.url}`;
  if (h.image) return `image:${h.image}`;
  return `builtin:${h.builtin ?? pt.metadata.name}`;
}

/** The ServerConfig for the given process types; retention of the tenants that use them. */
export function desiredServerConfig(
  processTypes: readonly ProcessType[],
  tenants: readonly Tenant[],
): ServerConfig {
  const names = new Set(processTypes.map((p) => p.metadata.name));
  const retention: Record<string, number> = {};
  for (const t of [...tenants].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
    if (t.spec.dataRetention && t.spec.processTypes.some((p) => names.has(p.name))) {
      retention[t.metadata.name] = t.spec.dataRetention.days;
    }
  }
  return {
    processTypes: [...processTypes]
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
      .map(runtimeConfig),
    retention: {
      defaultDays: DEFAULT_RETENTION_DAYS,
      ...(Object.keys(retention).length ? { tenants: retention } : {}),
    },
  };
}
