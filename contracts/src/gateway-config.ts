/**
 * GatewayConfig: everything a gateway knows about tenants and process types, as one
 * document. The operator renders it from Tenant and ProcessType resources; `make dev`
 * renders it from examples/. Gateways load it from a file or from Kubernetes and
 * swap it atomically; an invalid document is refused and the last good one stays.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { createSchemaCompiler } from './json-schema.js';
import type { PollingHints } from './process.js';
import { OPERATIONS, type Operation } from './scopes.js';
import { PROCESS_TYPE_NAME_PATTERN, TENANT_ID_PATTERN } from './states.js';

export interface RateLimit {
  requestsPerMinute: number;
  burst: number;
}

export interface ExternalIssuer {
  issuer: string;
  audience: string;
  jwksUrl: string;
  /** The `sub`/`client_id` claim expected from that issuer; tokens of other clients are refused. */
  clientId?: string;
}

export interface TenantConfig {
  id: string;
  displayName: string;
  /** Our own OAuth client id (client-credentials at /oauth/token). */
  clientId: string;
  /** `scrypt$<N>$<r>$<p>$<salt b64url>$<hash b64url>`; absent when the tenant uses an external issuer only. */
  clientSecretHash?: string;
  /** Hashes that still verify during a rotation grace period. */
  previousClientSecretHashes?: string[];
  externalIssuer?: ExternalIssuer;
  processTypes: { name: string; operations: Operation[] }[];
  rateLimit: RateLimit & { perType?: Record<string, RateLimit> };
  suspended: boolean;
  retentionDays?: number;
}

export interface ProcessTypeConfig {
  name: string;
  description?: string;
  requestSchema: Record<string, unknown>;
  resultSchema?: Record<string, unknown>;
  polling: PollingHints;
  maxPayloadBytes: number;
  timeoutSeconds: number;
  /** Used for `estimatedCompletionTime` in the 202. */
  estimatedDurationSeconds?: number;
  /** JSON pointers (e.g. `/card/number`) whose values are redacted from logs. */
  sensitiveFields?: string[];
}

export interface GatewayConfig {
  /** Changes whenever the content changes (the operator uses a content hash). */
  revision: string;
  tenants: TenantConfig[];
  processTypes: ProcessTypeConfig[];
}

const rateLimitSchema = {
  type: 'object',
  required: ['requestsPerMinute', 'burst'],
  additionalProperties: false,
  properties: {
    requestsPerMinute: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    burst: { type: 'integer', minimum: 1, maximum: 1_000_000 },
  },
} as const;

export const pollingHintsSchema = {
  type: 'object',
  required: [
    'firstPollSeconds',
    'fastIntervalSeconds',
    'fastPhaseSeconds',
    'slowIntervalSeconds',
    'maxTimeoutSeconds',
  ],
  additionalProperties: false,
  properties: {
    firstPollSeconds: { type: 'number', minimum: 0, maximum: 3600 },
    fastIntervalSeconds: { type: 'number', minimum: 1, maximum: 3600 },
    fastPhaseSeconds: { type: 'number', minimum: 0, maximum: 86400 },
    slowIntervalSeconds: { type: 'number', minimum: 1, maximum: 3600 },
    maxTimeoutSeconds: { type: 'number', minimum: 1, maximum: 604800 },
  },
} as const;

export const gatewayConfigSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://stargate.io/schemas/gateway-config.json',
  title: 'GatewayConfig',
  type: 'object',
  required: ['revision', 'tenants', 'processTypes'],
  additionalProperties: false,
  properties: {
    revision: { type: 'string', minLength: 1, maxLength: 128 },
    tenants: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'displayName', 'clientId', 'processTypes', 'rateLimit', 'suspended'],
        additionalProperties: false,
        properties: {
          id: { type: 'string', pattern: TENANT_ID_PATTERN },
          displayName: { type: 'string', minLength: 1, maxLength: 200 },
          clientId: { type: 'string', pattern: '^[A-Za-z0-9._-]{3,128}$' },
          clientSecretHash: { type: 'string', pattern: '^scrypt\\$' },
          previousClientSecretHashes: { type: 'array', items: { type: 'string', pattern: '^scrypt\\$' } },
          externalIssuer: {
            type: 'object',
            required: ['issuer', 'audience', 'jwksUrl'],
            additionalProperties: false,
            properties: {
              issuer: { type: 'string', minLength: 1 },
              audience: { type: 'string', minLength: 1 },
              jwksUrl: { type: 'string', format: 'uri' },
              clientId: { type: 'string', minLength: 1 },
            },
          },
          processTypes: {
            type: 'array',
            items: {
              type: 'object',
              required: ['name', 'operations'],
              additionalProperties: false,
              properties: {
                name: { type: 'string', pattern: PROCESS_TYPE_NAME_PATTERN },
                operations: { type: 'array', uniqueItems: true, items: { enum: [...OPERATIONS] } },
              },
            },
          },
          rateLimit: {
            type: 'object',
            required: ['requestsPerMinute', 'burst'],
            additionalProperties: false,
            properties: {
              ...rateLimitSchema.properties,
              perType: { type: 'object', additionalProperties: rateLimitSchema },
            },
          },
          suspended: { type: 'boolean' },
          retentionDays: { type: 'integer', minimum: 1, maximum: 3650 },
        },
      },
    },
    processTypes: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'requestSchema', 'polling', 'maxPayloadBytes', 'timeoutSeconds'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', pattern: PROCESS_TYPE_NAME_PATTERN },
          description: { type: 'string' },
          requestSchema: { type: 'object' },
          resultSchema: { type: 'object' },
          polling: pollingHintsSchema,
          maxPayloadBytes: { type: 'integer', minimum: 64, maximum: 10_485_760 },
          timeoutSeconds: { type: 'integer', minimum: 1, maximum: 86400 },
          estimatedDurationSeconds: { type: 'integer', minimum: 0 },
          sensitiveFields: { type: 'array', items: { type: 'string', pattern: '^/' } },
        },
      },
    },
  },
} as const;

const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats.default(ajv);
const validateShape = ajv.compile(gatewayConfigSchema);

export type ConfigValidation = { ok: true; config: GatewayConfig } | { ok: false; errors: string[] };

/** Shape check plus the cross-references a schema cannot express. */
export function validateGatewayConfig(doc: unknown): ConfigValidation {
  if (!validateShape(doc)) {
    return {
      ok: false,
      errors: (validateShape.errors ?? []).map(
        (e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`,
      ),
    };
  }
  const config = doc as unknown as GatewayConfig;
  const errors: string[] = [];
  const types = new Set<string>();
  for (const pt of config.processTypes) {
    if (types.has(pt.name)) errors.push(`/processTypes: duplicate process type "${pt.name}"`);
    types.add(pt.name);
    const compile = createSchemaCompiler();
    for (const field of ['requestSchema', 'resultSchema'] as const) {
      const schema = pt[field];
      if (!schema) continue;
      try {
        compile(schema);
      } catch (err) {
        errors.push(`/processTypes/${pt.name}/${field}: not a valid JSON Schema (${(err as Error).message})`);
      }
    }
  }
  const tenantIds = new Set<string>();
  const clientIds = new Set<string>();
  for (const t of config.tenants) {
    if (tenantIds.has(t.id)) errors.push(`/tenants: duplicate tenant "${t.id}"`);
    if (clientIds.has(t.clientId)) errors.push(`/tenants: client id "${t.clientId}" used twice`);
    tenantIds.add(t.id);
    clientIds.add(t.clientId);
    if (!t.clientSecretHash && !t.externalIssuer) {
      errors.push(`/tenants/${t.id}: needs clientSecretHash or externalIssuer`);
    }
    for (const grant of t.processTypes) {
      if (!types.has(grant.name)) errors.push(`/tenants/${t.id}: unknown process type "${grant.name}"`);
    }
    for (const name of Object.keys(t.rateLimit.perType ?? {})) {
      if (!types.has(name)) errors.push(`/tenants/${t.id}/rateLimit/perType: unknown process type "${name}"`);
    }
  }
  return errors.length ? { ok: false, errors } : { ok: true, config };
}
