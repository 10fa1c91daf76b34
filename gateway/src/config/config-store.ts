import {
  type GatewayConfig,
  type Operation,
  type ProcessTypeConfig,
  scopeFor,
  type TenantConfig,
  validateGatewayConfig,
} from '@stargate/contracts';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { createRequestValidatorCompiler, type RequestValidator } from '../validation/request-validator.js';

/** A validated GatewayConfig with its lookups and request-schema validators compiled once. */
export interface LoadedConfig {
  config: GatewayConfig;
  revision: string;
  tenantById: ReadonlyMap<string, TenantConfig>;
  tenantByClientId: ReadonlyMap<string, TenantConfig>;
  tenantByIssuer: ReadonlyMap<string, TenantConfig[]>;
  processType: ReadonlyMap<string, ProcessTypeConfig>;
  validateRequest: ReadonlyMap<string, RequestValidator>;
  /** The scopes the tenant is granted now (`process:<type>:<op>`). */
  grantedScopes(tenant: TenantConfig): Set<string>;
}

function load(config: GatewayConfig): LoadedConfig {
  const compile = createRequestValidatorCompiler();
  const validateRequest = new Map<string, RequestValidator>();
  const processType = new Map<string, ProcessTypeConfig>();
  for (const pt of config.processTypes) {
    processType.set(pt.name, pt);
    validateRequest.set(pt.name, compile(pt.requestSchema));
  }
  const tenantByIssuer = new Map<string, TenantConfig[]>();
  for (const t of config.tenants) {
    if (!t.externalIssuer) continue;
    const list = tenantByIssuer.get(t.externalIssuer.issuer) ?? [];
    list.push(t);
    tenantByIssuer.set(t.externalIssuer.issuer, list);
  }
  const scopeCache = new Map<string, Set<string>>();
  return {
    config,
    revision: config.revision,
    tenantById: new Map(config.tenants.map((t) => [t.id, t])),
    tenantByClientId: new Map(config.tenants.map((t) => [t.clientId, t])),
    tenantByIssuer,
    processType,
    validateRequest,
    grantedScopes(tenant) {
      let scopes = scopeCache.get(tenant.id);
      if (!scopes) {
        scopes = new Set(
          tenant.processTypes.flatMap((g) => g.operations.map((op: Operation) => scopeFor(g.name, op))),
        );
        scopeCache.set(tenant.id, scopes);
      }
      return scopes;
    },
  };
}

export interface ConfigStore {
  /** The config in force, or undefined before the first good document. */
  current(): LoadedConfig | undefined;
  /** Validates and swaps in a new document; on rejection the last good one stays. */
  apply(doc: unknown, source: string): { ok: true } | { ok: false; errors: string[] };
  /** Resolves once a first good document is in force. */
  ready(): Promise<LoadedConfig>;
  /** Why there is no config in force yet (for the readiness answer); undefined once there is. */
  missingReason(): string | undefined;
  /** The source says what it is waiting for (e.g. the operator's Secret does not exist yet). */
  setMissingReason(reason: string): void;
}

export function createConfigStore(deps: { logger: Logger; metrics: Metrics }): ConfigStore {
  let loaded: LoadedConfig | undefined;
  let missingReason = 'no configuration loaded yet';
  let resolveReady: (c: LoadedConfig) => void = () => undefined;
  const readyPromise = new Promise<LoadedConfig>((resolve) => {
    resolveReady = resolve;
  });
  return {
    current: () => loaded,
    ready: () => readyPromise,
    missingReason: () => (loaded ? undefined : missingReason),
    setMissingReason(reason) {
      missingReason = reason;
    },
    apply(doc, source) {
      const result = validateGatewayConfig(doc);
      if (!result.ok) {
        deps.metrics.configReloads.inc({ result: 'rejected' });
        deps.logger.error(
          {
            event: 'config.rejected',
            source,
            errors: result.errors.slice(0, 20),
            keptRevision: loaded?.revision,
          },
          'gateway configuration rejected; the last good one stays in force',
        );
        missingReason = `configuration from ${source} rejected: ${result.errors.slice(0, 3).join('; ')}`;
        return { ok: false, errors: result.errors };
      }
      if (loaded && loaded.revision === result.config.revision) return { ok: true };
      let next: LoadedConfig;
      try {
        next = load(result.config);
      } catch (err) {
        deps.metrics.configReloads.inc({ result: 'rejected' });
        deps.logger.error({ event: 'config.rejected', source, err }, 'gateway configuration rejected');
        missingReason = `configuration from ${source} rejected: ${(err as Error).message}`;
        return { ok: false, errors: [(err as Error).message] };
      }
      const previous = loaded?.revision;
      loaded = next;
      deps.metrics.configReloads.inc({ result: 'applied' });
      deps.logger.info(
        {
          event: 'config.applied',
          source,
          revision: next.revision,
          previous,
          tenants: next.config.tenants.length,
        },
        'gateway configuration applied',
      );
      resolveReady(next);
      return { ok: true };
    },
  };
}
