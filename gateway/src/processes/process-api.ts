/**
 * The process API as one encapsulated fastify scope: the routes a client with a bearer token
 * calls (submit, status with long polling, list, cancel/retry, process types). The scope's one
 * onRequest hook (guard.ts) authenticates and rate-limits each of them before its body is read;
 * the routes outside it (OAuth, health, metrics) never see it.
 */
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../http/context.js';
import { createRequestValidatorCompiler } from '../http/request-validators.js';
import { registerCommandRoutes } from './commands.js';
import { createGuard } from './guard.js';
import { registerListRoute } from './list.js';
import { registerProcessTypeRoutes } from './process-types.js';
import { PROBLEM_SCHEMA } from './route-schemas.js';
import { registerStatusRoute } from './status.js';
import { registerSubmitRoute } from './submit/route.js';

/** Register with `{ prefix: API_BASE_PATH }`; without fastify-plugin, so the hook stays inside. */
export async function registerProcessApi(app: FastifyInstance, ctx: GatewayContext): Promise<void> {
  const api = app.withTypeProvider<JsonSchemaToTsProvider>();
  api.addSchema(PROBLEM_SCHEMA);
  api.setValidatorCompiler(createRequestValidatorCompiler());
  api.addHook('onRequest', createGuard(ctx));
  registerSubmitRoute(api, ctx);
  registerStatusRoute(api, ctx);
  registerListRoute(api, ctx);
  registerCommandRoutes(api, ctx);
  registerProcessTypeRoutes(api, ctx);
}
