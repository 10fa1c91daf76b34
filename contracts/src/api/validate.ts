/**
 * Validators of the public bodies (Ajv, JSON Schema 2020-12 with formats), for contract tests
 * and for clients that want to check what they receive.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { WIRE_SCHEMAS } from './wire-schemas.js';

export type WireBody = keyof typeof WIRE_SCHEMAS;

export interface ContractValidator {
  /** undefined when `value` is a valid `body`; otherwise the violations, one per line. */
  check(body: WireBody, value: unknown): string | undefined;
}

export function createContractValidator(): ContractValidator {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(ajv);
  for (const schema of Object.values(WIRE_SCHEMAS)) ajv.addSchema(schema as object);
  return {
    check(body, value) {
      const validate = ajv.getSchema(WIRE_SCHEMAS[body].$id)!;
      if (validate(value)) return undefined;
      return (validate.errors ?? [])
        .map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'} ${JSON.stringify(e.params)}`)
        .join('\n');
    },
  };
}
