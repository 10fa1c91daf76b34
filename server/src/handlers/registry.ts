import type { ProcessTypeRuntimeConfig } from '@stargate/contracts';
import type { Handler } from './define-handler.js';
import { createForwardHandler } from './http-forward.js';
import { ORDER_REQUEST_SCHEMA, ORDER_RESULT_SCHEMA, orderHandler } from './order.js';
import { SHIPPING_REQUEST_SCHEMA, SHIPPING_RESULT_SCHEMA, shippingHandler } from './shipping.js';

export const BUILTIN_HANDLERS: Readonly<Record<string, Handler<never, unknown>>> = {
  order: orderHandler,
  shipping: shippingHandler,
};

export const BUILTIN_SCHEMAS: Readonly<
  Record<string, { requestSchema: Record<string, unknown>; resultSchema: Record<string, unknown> }>
> = {
  order: { requestSchema: ORDER_REQUEST_SCHEMA, resultSchema: ORDER_RESULT_SCHEMA },
  shipping: { requestSchema: SHIPPING_REQUEST_SCHEMA, resultSchema: SHIPPING_RESULT_SCHEMA },
};

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * The handler of one process type: a built-in, a forwarder (credentials read from the named
 * environment variable once, here), or a module whose default export is a handler.
 */
export async function resolveHandler(
  config: ProcessTypeRuntimeConfig,
  env: Readonly<Record<string, string | undefined>>,
  extra: readonly Handler<never, unknown>[] = [],
): Promise<Handler<unknown, unknown>> {
  const own = extra.find((h) => h.type === config.name);
  if (own) return own as Handler<unknown, unknown>;
  const spec = config.handler;
  if ('builtin' in spec) {
    const builtin = BUILTIN_HANDLERS[spec.builtin];
    if (!builtin)
      throw new ConfigError(
        `process type ${config.name}: unknown built-in handler "${spec.builtin}" (known: ${Object.keys(BUILTIN_HANDLERS).join(', ')})`,
      );
    return builtin as Handler<unknown, unknown>;
  }
  if ('forward' in spec) {
    const fwd = spec.forward;
    let credentials: string | undefined;
    if (fwd.credentialsEnv !== undefined) {
      credentials = env[fwd.credentialsEnv];
      if (!credentials)
        throw new ConfigError(
          `process type ${config.name}: environment variable ${fwd.credentialsEnv} (forward credentials) is not set`,
        );
    }
    return createForwardHandler(config.name, fwd, credentials === undefined ? {} : { credentials });
  }
  const mod = (await import(spec.module)) as { default?: Handler<unknown, unknown> };
  if (!mod.default || typeof mod.default.handle !== 'function')
    throw new ConfigError(
      `process type ${config.name}: module ${spec.module} has no default-exported handler`,
    );
  return mod.default;
}
