/**
 * How the process API checks the parts of a request against its route schemas. Fastify's
 * default would coerce and prune: a body `{"clientProcessId": 5}` became `"5"` and was accepted
 * although the contract says string, and an unknown query parameter (`?offset=10`) was silently
 * dropped although the query schema forbids it — the caller got page one again. Here a body is
 * taken exactly as sent, and only query, path and header values (always text on the wire) are
 * coerced to the schema's types.
 */
import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

function compilerWith(options: Options): Ajv {
  const ajv = new Ajv({ useDefaults: true, removeAdditional: false, allErrors: false, ...options });
  addFormats.default(ajv);
  return ajv;
}

/** A fastify validator compiler: strict for the body, text-to-type coercion for the rest. */
export function createRequestValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const body = compilerWith({ coerceTypes: false });
  const text = compilerWith({ coerceTypes: 'array' });
  return ({ schema, httpPart }) => (httpPart === 'body' ? body : text).compile(schema as object);
}
