/**
 * Checks a submitted `data` against its process type's request schema without letting the
 * caller decide how much work and memory the answer costs. Validation first stops at the
 * first violation; only a small body is checked again for every violation, and the answer
 * lists at most MAX_REPORTED of them with the total count.
 */
import { createSchemaCompiler } from '@stargate/contracts';
import type { ErrorObject, ValidateFunction } from 'ajv';

/** Violations listed in an answer. */
export const MAX_REPORTED = 20;
/** Bodies up to this size are checked again for every violation (a few thousand at most). */
export const FULL_REPORT_MAX_BYTES = 8 * 1024;
const MAX_PATH = 200;
const MAX_MESSAGE = 200;

export interface Violation {
  path: string;
  message: string;
}

export type ValidationResult =
  | { ok: true }
  | {
      ok: false;
      errors: Violation[];
      /** Every violation found (≥ errors.length); absent when validation stopped at the first. */
      errorCount?: number;
    };

export type RequestValidator = (data: unknown, bodySize: number) => ValidationResult;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function toViolation(e: ErrorObject): Violation {
  return {
    path: clip(`/data${e.instancePath}`, MAX_PATH),
    message: clip(
      e.keyword === 'required' && typeof e.params.missingProperty === 'string'
        ? `must have property ${e.params.missingProperty}`
        : (e.message ?? 'is invalid'),
      MAX_MESSAGE,
    ),
  };
}

/** One compiler pair per configuration version; returns a validator per schema. */
export function createRequestValidatorCompiler(): (schema: Record<string, unknown>) => RequestValidator {
  const compileFirst = createSchemaCompiler({ allErrors: false });
  const compileAll = createSchemaCompiler({ allErrors: true });
  return (schema) => {
    const first: ValidateFunction = compileFirst(schema);
    let all: ValidateFunction | undefined;
    return (data, bodySize) => {
      if (first(data)) return { ok: true };
      const firstErrors = first.errors ?? [];
      if (bodySize > FULL_REPORT_MAX_BYTES)
        return { ok: false, errors: firstErrors.slice(0, 1).map(toViolation) };
      // Compiled on first use: most types never see an invalid small body.
      all ??= compileAll(schema);
      all(data);
      const every = all.errors ?? firstErrors;
      return {
        ok: false,
        errors: every.slice(0, MAX_REPORTED).map(toViolation),
        errorCount: every.length,
      };
    };
  };
}
