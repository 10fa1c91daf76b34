/**
 * The wire types, derived from the JSON Schemas in `wire-schemas.ts` (json-schema-to-ts), so a
 * schema change changes the types the gateway builds and the SDK reads.
 */
import type { FromSchema } from 'json-schema-to-ts';
import type {
  CommandAcceptedSchema,
  ErrorBodySchema,
  ProcessStatusSchema,
  SubmitAcceptedSchema,
  SubmitRequestSchema,
} from './wire-schemas.js';

export type SubmitRequestBody = FromSchema<typeof SubmitRequestSchema>;
export type SubmitAcceptedBody = FromSchema<typeof SubmitAcceptedSchema>;
export type ProcessStatusBody = FromSchema<typeof ProcessStatusSchema>;
export type CommandAcceptedBody = FromSchema<typeof CommandAcceptedSchema>;
export type ErrorBody = FromSchema<typeof ErrorBodySchema>;
export interface ProcessListBody {
  items: ProcessStatusBody[];
  nextCursor?: string;
}
