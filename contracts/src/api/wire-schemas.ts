/**
 * The public API's bodies as JSON Schema 2020-12: the contract clients are written against
 * (specification, "Detailed Endpoint Documentation"). The gateway's routes use them as their
 * schemas (so /openapi.json is generated from them), the SDK's wire types are derived from
 * them (`wire-types.ts`), and the contract tests validate real answers against them.
 * Fields beyond the specification are marked "extension" and never conflict with it.
 */
import { PROCESS_STATUSES } from '../states.js';
import { PROCESSES_PATH } from './paths.js';
import { PROCESS_ID_PATTERN } from './process-id.js';

const dateTime = { type: 'string', format: 'date-time' } as const;

const processId = {
  type: 'string',
  description: `PROC-YYYYMMDD-NNNNN (UTC day of acceptance, sequence of 5 or more digits, ${PROCESS_ID_PATTERN}); processes accepted before API 1.0 keep their UUID`,
  minLength: 1,
  maxLength: 128,
} as const;

export const SubmitRequestSchema = {
  $id: 'https://stargate.io/schemas/v1/submit-request.json',
  title: 'SubmitRequest',
  description: `Body of POST ${PROCESSES_PATH}.`,
  type: 'object',
  required: ['clientProcessId', 'processType', 'data'],
  properties: {
    clientProcessId: {
      type: 'string',
      minLength: 1,
      maxLength: 200,
      description: "The client's identifier of the item (echoed in every answer)",
    },
    processType: { type: 'string', minLength: 1, maxLength: 63 },
    data: { description: "Process-specific payload, validated against the process type's requestSchema" },
    idempotencyKey: {
      type: 'string',
      minLength: 1,
      maxLength: 255,
      description: 'Prevents duplicate submissions; the Idempotency-Key header is equivalent',
    },
  },
} as const;

export const SubmitAcceptedSchema = {
  $id: 'https://stargate.io/schemas/v1/submit-accepted.json',
  title: 'SubmitAccepted',
  description: `202 body of POST ${PROCESSES_PATH}.`,
  type: 'object',
  required: [
    'processId',
    'clientProcessId',
    'processType',
    'status',
    'statusUrl',
    'createdAt',
    'estimatedCompletionTime',
  ],
  properties: {
    processId,
    clientProcessId: { type: 'string' },
    processType: { type: 'string' },
    status: { const: 'accepted' },
    statusUrl: {
      type: 'string',
      pattern: `^${PROCESSES_PATH}/`,
      description: `Relative: ${PROCESSES_PATH}/{processId}`,
    },
    createdAt: dateTime,
    estimatedCompletionTime: dateTime,
  },
} as const;

const processError = {
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: { type: 'string' },
    message: { type: 'string' },
    details: { type: 'object' },
    retryable: { type: 'boolean', description: 'extension: same as the top-level retryable' },
  },
} as const;

const common = {
  processId,
  clientProcessId: {
    type: 'string',
    description: 'Always present for processes accepted with API 1.0 (required on submit)',
  },
  processType: { type: 'string' },
  status: { type: 'string', enum: [...PROCESS_STATUSES] },
  progress: { type: 'number', minimum: 0, maximum: 100, description: 'Percent done' },
  currentStep: { type: 'string', description: 'The step the handler last reported, when it reported one' },
  createdAt: dateTime,
  updatedAt: dateTime,
  estimatedCompletionTime: dateTime,
  statusUrl: { type: 'string', description: 'extension: relative status URL' },
  version: { type: 'integer', minimum: 0, description: 'extension: grows with every state change (ETag)' },
  attempts: { type: 'integer', minimum: 0, description: 'extension: runs so far' },
  result: { description: 'null while running; the handler result once completed' },
  error: processError,
  completedAt: dateTime,
  failedAt: dateTime,
  cancelledAt: dateTime,
  retryable: { type: 'boolean' },
} as const;

const commonRequired = [
  'processId',
  'statusUrl',
  'version',
  'processType',
  'status',
  'progress',
  'createdAt',
  'updatedAt',
  'estimatedCompletionTime',
] as const;

export const ProcessStatusSchema = {
  $id: 'https://stargate.io/schemas/v1/process-status.json',
  title: 'ProcessStatus',
  description: `Body of GET ${PROCESSES_PATH}/{processId} (and items of the list). Which fields are present depends on status.`,
  type: 'object',
  required: [...commonRequired],
  properties: common,
  oneOf: [
    {
      title: 'Running',
      properties: { status: { enum: ['accepted', 'processing'] }, result: { const: null } },
      required: ['result'],
      not: { anyOf: [{ required: ['completedAt'] }, { required: ['failedAt'] }, { required: ['error'] }] },
    },
    {
      title: 'Completed',
      properties: { status: { const: 'completed' }, progress: { const: 100 } },
      required: ['result', 'completedAt'],
      not: { anyOf: [{ required: ['failedAt'] }, { required: ['error'] }] },
    },
    {
      title: 'Failed',
      properties: { status: { const: 'failed' } },
      required: ['error', 'failedAt', 'retryable'],
      not: { anyOf: [{ required: ['completedAt'] }, { required: ['result'] }] },
    },
    {
      title: 'Cancelled',
      properties: { status: { const: 'cancelled' } },
      required: ['cancelledAt'],
      not: { anyOf: [{ required: ['completedAt'] }, { required: ['failedAt'] }] },
    },
  ],
} as const;

export const ProcessListSchema = {
  $id: 'https://stargate.io/schemas/v1/process-list.json',
  title: 'ProcessList',
  description: `Body of GET ${PROCESSES_PATH}: newest first, with a cursor for the next page.`,
  type: 'object',
  required: ['items'],
  properties: {
    items: { type: 'array', items: { $ref: 'https://stargate.io/schemas/v1/process-status.json' } },
    nextCursor: { type: 'string' },
  },
} as const;

export const CommandAcceptedSchema = {
  $id: 'https://stargate.io/schemas/v1/command-accepted.json',
  title: 'CommandAccepted',
  description: `202 body of POST ${PROCESSES_PATH}/{processId}/cancel and /retry (extension).`,
  type: 'object',
  required: ['processId', 'command', 'status', 'statusUrl'],
  properties: {
    processId,
    command: { type: 'string', enum: ['cancel', 'retry'] },
    status: {
      type: 'string',
      enum: [...PROCESS_STATUSES],
      description: 'The status when the command was sent',
    },
    statusUrl: { type: 'string', pattern: `^${PROCESSES_PATH}/` },
  },
} as const;

export const ErrorBodySchema = {
  $id: 'https://stargate.io/schemas/v1/error.json',
  title: 'Error',
  description:
    'Every 4xx/5xx answer of the process API (application/problem+json, RFC 9457): the specified error, message and timestamp, plus retryAfter on 429 and 503.',
  type: 'object',
  required: ['error', 'message', 'timestamp'],
  properties: {
    error: { type: 'string', description: 'INVALID_REQUEST, INVALID_TOKEN, INSUFFICIENT_PERMISSIONS, …' },
    message: { type: 'string' },
    timestamp: dateTime,
    retryAfter: {
      type: 'number',
      minimum: 0,
      description: 'Seconds; present on 429 and whenever Retry-After is sent',
    },
    type: { type: 'string', description: 'extension (RFC 9457)' },
    title: { type: 'string', description: 'extension (RFC 9457)' },
    status: { type: 'integer', description: 'extension (RFC 9457)' },
    detail: { type: 'string', description: 'extension (RFC 9457)' },
    instance: { type: 'string', description: 'extension (RFC 9457)' },
    correlationId: { type: 'string', description: 'extension' },
    errorCount: {
      type: 'integer',
      minimum: 0,
      description: 'extension: how many violations were found (errors lists at most 20)',
    },
    errors: {
      type: 'array',
      description: 'extension: schema violations',
      items: {
        type: 'object',
        required: ['path', 'message'],
        properties: { path: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
  // A 429 always says when to come back.
  anyOf: [
    { not: { properties: { error: { const: 'RATE_LIMIT_EXCEEDED' } }, required: ['error'] } },
    { required: ['retryAfter'] },
  ],
} as const;

/** Every body schema, by name: what `contracts/schemas/` and the OpenAPI components hold. */
export const WIRE_SCHEMAS = {
  SubmitRequest: SubmitRequestSchema,
  SubmitAccepted: SubmitAcceptedSchema,
  ProcessStatus: ProcessStatusSchema,
  ProcessList: ProcessListSchema,
  CommandAccepted: CommandAcceptedSchema,
  Error: ErrorBodySchema,
} as const;
