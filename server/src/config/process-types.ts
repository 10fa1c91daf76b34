import {
  createSchemaCompiler,
  type ProcessQueueSettings,
  DEFAULT_RETRY_POLICY,
  type ProcessTypeRuntimeConfig,
  type RetryPolicy,
  type SchemaCompiler,
  type ServerConfig,
} from '@stargate/contracts';
import type { ValidateFunction } from 'ajv';
import type { Handler } from '../handlers/define-handler.js';
import { BUILTIN_HANDLERS, BUILTIN_SCHEMAS, ConfigError, resolveHandler } from '../handlers/registry.js';

/** Everything the runtime needs about one process type it serves, resolved once at start-up. */
export interface ProcessTypeRuntime {
  name: string;
  handler: Handler<unknown, unknown>;
  concurrency: number;
  timeoutMs: number;
  retry: RetryPolicy;
  /** The work queue's arguments (bound, delivery limit); defaults from contracts. */
  queue: ProcessQueueSettings;
  validateRequest: ValidateFunction;
  validateResult: ValidateFunction | undefined;
}

export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_TIMEOUT_SECONDS = 60;

function builtinDefault(name: string): ProcessTypeRuntimeConfig | undefined {
  const schemas = BUILTIN_SCHEMAS[name];
  if (!schemas || !BUILTIN_HANDLERS[name]) return undefined;
  return {
    name,
    handler: { builtin: name },
    concurrency: DEFAULT_CONCURRENCY,
    timeoutSeconds: DEFAULT_TIMEOUT_SECONDS,
    retry: { ...DEFAULT_RETRY_POLICY },
    ...schemas,
  };
}

function positive(name: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw new ConfigError(`process type ${name}: ${field} must be a positive number, got ${String(value)}`);
  return value;
}

/**
 * Resolves the types this worker serves: each must be in the ServerConfig, except the
 * built-in examples (order, shipping), which run with their default schemas when absent.
 */
export async function resolveProcessTypes(
  processTypes: readonly string[],
  serverConfig: ServerConfig | undefined,
  options: {
    env?: Readonly<Record<string, string | undefined>>;
    handlers?: readonly Handler<never, unknown>[];
  } = {},
): Promise<ProcessTypeRuntime[]> {
  if (processTypes.length === 0) throw new ConfigError('no process types to serve (STARGATE_PROCESS_TYPES)');
  const compileSchema = createSchemaCompiler();
  const out: ProcessTypeRuntime[] = [];
  for (const name of processTypes) {
    const config = serverConfig?.processTypes.find((p) => p.name === name) ?? builtinDefault(name);
    if (!config)
      throw new ConfigError(
        `process type ${name} is not in the server configuration (STARGATE_SERVER_CONFIG_FILE)`,
      );
    const handler = await resolveHandler(config, options.env ?? {}, options.handlers);
    const retry = config.retry ?? DEFAULT_RETRY_POLICY;
    out.push({
      name,
      handler,
      concurrency: Math.floor(positive(name, 'concurrency', config.concurrency)),
      timeoutMs: positive(name, 'timeoutSeconds', config.timeoutSeconds) * 1000,
      retry: {
        maxAttempts: Math.floor(positive(name, 'retry.maxAttempts', retry.maxAttempts)),
        initialBackoffSeconds: positive(name, 'retry.initialBackoffSeconds', retry.initialBackoffSeconds),
        maxBackoffSeconds: positive(name, 'retry.maxBackoffSeconds', retry.maxBackoffSeconds),
      },
      queue: {
        ...(config.queue?.maxLength !== undefined
          ? { maxLength: Math.floor(positive(name, 'queue.maxLength', config.queue.maxLength)) }
          : {}),
        ...(config.queue?.deliveryLimit !== undefined
          ? { deliveryLimit: Math.floor(positive(name, 'queue.deliveryLimit', config.queue.deliveryLimit)) }
          : {}),
      },
      validateRequest: compile(compileSchema, name, 'requestSchema', config.requestSchema),
      validateResult: config.resultSchema
        ? compile(compileSchema, name, 'resultSchema', config.resultSchema)
        : undefined,
    });
  }
  return out;
}

function compile(
  compileSchema: SchemaCompiler,
  name: string,
  field: string,
  schema: Record<string, unknown>,
): ValidateFunction {
  try {
    return compileSchema(schema);
  } catch (err) {
    throw new ConfigError(
      `process type ${name}: ${field} is not a valid JSON Schema: ${(err as Error).message}`,
    );
  }
}
