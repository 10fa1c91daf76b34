/**
 * One way to compile the JSON Schemas of process types, used by the gateway (requests),
 * the server (requests and results) and config validation, so that a schema means the same
 * everywhere. A schema without `$schema` is JSON Schema 2020-12; draft-07 is accepted when
 * it says so, since many existing schemas are written in it.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const DRAFT_2020 = /^https?:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/;
const DRAFT_07 = /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/;

export class SchemaError extends Error {
  override name = 'SchemaError';
}

export type SchemaCompiler = (schema: Record<string, unknown>) => ValidateFunction;

/**
 * A compiler with its own Ajv instances: use one per configuration version (schema `$id`s must be unique in it).
 * `allErrors: false` stops at the first violation: what untrusted input is checked with first,
 * since collecting every error of a large document costs memory in proportion to it.
 */
export function createSchemaCompiler(opts: { allErrors?: boolean } = {}): SchemaCompiler {
  const options = { allErrors: opts.allErrors ?? true, strict: false } as const;
  let draft2020: Ajv2020 | undefined;
  let draft07: Ajv | undefined;
  return (schema) => {
    const declared = schema.$schema;
    let ajv: Ajv | Ajv2020;
    if (declared === undefined || (typeof declared === 'string' && DRAFT_2020.test(declared))) {
      draft2020 ??= new Ajv2020(options);
      ajv = draft2020;
    } else if (typeof declared === 'string' && DRAFT_07.test(declared)) {
      draft07 ??= new Ajv(options);
      ajv = draft07;
    } else {
      throw new SchemaError(
        `unsupported $schema ${JSON.stringify(declared)}: omit it (JSON Schema 2020-12) or use draft-07`,
      );
    }
    if (!ajv.formats.email) addFormats.default(ajv);
    try {
      return ajv.compile(schema);
    } catch (err) {
      throw new SchemaError((err as Error).message);
    }
  };
}
