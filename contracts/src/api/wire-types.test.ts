import type { FromSchema } from 'json-schema-to-ts';
import { describe, expect, it } from 'vitest';
import type {
  CommandAcceptedBody,
  ErrorBody,
  ProcessStatusBody,
  SubmitAcceptedBody,
  SubmitRequestBody,
} from './wire-types.js';
import type {
  CommandAcceptedSchema,
  ErrorBodySchema,
  ProcessStatusSchema,
  SubmitAcceptedSchema,
  SubmitRequestSchema,
} from './wire-schemas.js';

/** Compiles only when A and B are assignable both ways. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Within<A, B> = [A] extends [B] ? true : false;
const same = <T extends true>(_proof: T) => _proof;

describe('wire types', () => {
  it('are what json-schema-to-ts derives from the body schemas (checked by the compiler)', () => {
    expect(same<Same<SubmitRequestBody, FromSchema<typeof SubmitRequestSchema>>>(true)).toBe(true);
    expect(same<Same<SubmitAcceptedBody, FromSchema<typeof SubmitAcceptedSchema>>>(true)).toBe(true);
    expect(same<Same<CommandAcceptedBody, FromSchema<typeof CommandAcceptedSchema>>>(true)).toBe(true);
    expect(same<Same<ErrorBody, FromSchema<typeof ErrorBodySchema>>>(true)).toBe(true);
    // The status body is within the derived type. It is stricter: json-schema-to-ts ignores the
    // schema's `not` (e.g. no completedAt while running), which the written-out union keeps.
    expect(same<Within<ProcessStatusBody, FromSchema<typeof ProcessStatusSchema>>>(true)).toBe(true);
  });
});
