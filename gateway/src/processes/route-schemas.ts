/**
 * The contract's schemas (contracts/src/api) as route schemas of the process API, and the
 * typed fastify instance the routes are registered on: the JSON schemas, written `as const`,
 * type each handler's params, query, headers and body (json-schema-to-ts), so handlers read
 * them without casts, and the OpenAPI document (/openapi.json) is generated from them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import { ProcessListSchema, ProcessStatusSchema, WIRE_SCHEMAS } from '@stargate/contracts';
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify';

/** The process API's scope, typed by its route schemas. */
export type ProcessApi = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  JsonSchemaToTsProvider
>;

/**
 * A contract schema as a route schema: `$id` dropped (fastify registers route schemas per
 * route, an `$id` would clash).
 */
export function routeSchema<T extends object>(schema: T): Omit<T, '$id'> {
  const { $id: _id, ...rest } = schema as T & { $id?: string };
  return rest;
}

/** Every error answer: the contract's problem body, registered once in the scope as `Problem`. */
export const PROBLEM_SCHEMA = { ...routeSchema(WIRE_SCHEMAS.Error), $id: 'Problem' };
const problemRef = { $ref: 'Problem#' } as const;
export const ERROR_RESPONSES = { '4xx': problemRef, '5xx': problemRef } as const;

export const STATUS_SCHEMA = routeSchema(ProcessStatusSchema);
/** The list's item reference (`$ref` to the status schema's `$id`) is inlined. */
export const LIST_SCHEMA = {
  ...routeSchema(ProcessListSchema),
  properties: { ...ProcessListSchema.properties, items: { type: 'array', items: STATUS_SCHEMA } },
} as const;

/**
 * Answers are built by the contract's presentation functions and written with JSON.stringify:
 * the response schemas document them (OpenAPI) but do not filter them.
 */
export const plainJson = () => (data: unknown) => JSON.stringify(data);
