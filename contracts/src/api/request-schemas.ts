/**
 * The process API's path, query and header parameters as JSON Schema: what the gateway
 * validates before a handler runs (and types its handlers with), beside the bodies in
 * `wire-schemas.ts`.
 */
import { PROCESS_STATUSES } from '../states.js';

/** `:id` of `/processes/:id` and its commands: the characters a process id may hold. */
export const ProcessIdParamsSchema = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' } },
} as const;

/** Page size of `GET /processes` when the query names none. */
export const DEFAULT_LIST_LIMIT = 20;

/** The query of `GET /processes`. */
export const ProcessListQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { type: 'string', enum: [...PROCESS_STATUSES] },
    processType: { type: 'string', maxLength: 63 },
    limit: { type: 'integer', minimum: 1, maximum: 100, default: DEFAULT_LIST_LIMIT },
    cursor: { type: 'string', maxLength: 512 },
  },
} as const;

/** The headers of `POST /processes` the gateway reads (the key is also accepted in the body). */
export const SubmitHeadersSchema = {
  type: 'object',
  properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 255 } },
} as const;
