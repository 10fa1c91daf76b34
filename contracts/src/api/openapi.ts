/**
 * The published OpenAPI 3.1 document of the process API, generated from the body schemas
 * (`wire-schemas.ts`). `contracts/openapi/stargate-api.json` is this document, written by
 * `npm run generate -w @stargate/contracts` and kept current by a test.
 */
import { PUBLIC_API_VERSION } from './api-version.js';
import { API_ROUTES, openApiPath, PROCESS_COMMANDS } from './paths.js';
import { WIRE_SCHEMAS } from './wire-schemas.js';

type Json = Record<string, unknown>;

const REF = (name: keyof typeof WIRE_SCHEMAS) => ({ $ref: `#/components/schemas/${name}` });

/** A body schema as an OpenAPI component: its `$id` dropped, references made local. */
export function componentSchema(name: keyof typeof WIRE_SCHEMAS): Json {
  const { $id: _id, ...schema } = WIRE_SCHEMAS[name] as Json;
  return JSON.parse(
    JSON.stringify(schema).replace(
      /"https:\/\/stargate\.io\/schemas\/v1\/process-status\.json"/g,
      '"#/components/schemas/ProcessStatus"',
    ),
  ) as Json;
}

const errorResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: REF('Error') } },
});

const errors = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((c) => [
      String(c),
      errorResponse(
        {
          400: 'Bad request (e.g. "Missing required field: clientProcessId")',
          401: 'Missing, invalid or expired token (INVALID_TOKEN)',
          403: 'Process type not authorised (INSUFFICIENT_PERMISSIONS)',
          404: 'No such process (NOT_FOUND)',
          409: 'Conflict (IDEMPOTENCY_KEY_IN_USE, INVALID_STATE)',
          413: 'Payload too large',
          415: 'Not application/json',
          422: 'Idempotency key reused with another payload',
          429: 'Rate limit exceeded (RATE_LIMIT_EXCEEDED, retryAfter)',
          503: 'Temporarily unavailable (retryAfter)',
          504: 'The state could not be read in time (retryAfter)',
        }[c] ?? String(c),
      ),
    ]),
  );

const processIdParam = {
  name: 'processId',
  in: 'path',
  required: true,
  schema: { type: 'string', maxLength: 128 },
};

export function buildOpenApiDocument(): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'StarGate process API',
      version: PUBLIC_API_VERSION,
      description:
        'Submit business processes and follow them by polling. Bodies as specified in "Detailed Endpoint Documentation"; errors are application/problem+json with error, message and timestamp.',
    },
    paths: {
      [openApiPath(API_ROUTES.processes)]: {
        post: {
          operationId: 'submitProcess',
          security: [{ bearer: [] }],
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              schema: { type: 'string', maxLength: 255 },
            },
          ],
          requestBody: { required: true, content: { 'application/json': { schema: REF('SubmitRequest') } } },
          responses: {
            '202': {
              description:
                'Accepted: durably queued. Location (absolute status URL) and Retry-After are set.',
              content: { 'application/json': { schema: REF('SubmitAccepted') } },
            },
            ...errors(400, 401, 403, 409, 413, 415, 422, 429, 503),
          },
        },
        get: {
          operationId: 'listProcesses',
          security: [{ bearer: [] }],
          parameters: [
            { name: 'status', in: 'query', schema: { type: 'string' } },
            { name: 'processType', in: 'query', schema: { type: 'string' } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100 } },
            { name: 'cursor', in: 'query', schema: { type: 'string' } },
          ],
          responses: {
            '200': { description: 'A page', content: { 'application/json': { schema: REF('ProcessList') } } },
            ...errors(400, 401, 403, 429, 503, 504),
          },
        },
      },
      [openApiPath(API_ROUTES.process)]: {
        get: {
          operationId: 'getProcessStatus',
          security: [{ bearer: [] }],
          parameters: [
            processIdParam,
            { name: 'Prefer', in: 'header', schema: { type: 'string', example: 'wait=30' } },
            { name: 'If-None-Match', in: 'header', schema: { type: 'string' } },
          ],
          responses: {
            '200': {
              description: 'The status (ETag, and Retry-After while running)',
              content: { 'application/json': { schema: REF('ProcessStatus') } },
            },
            '304': { description: 'Not modified (If-None-Match)' },
            ...errors(400, 401, 403, 404, 429, 503, 504),
          },
        },
      },
      ...Object.fromEntries(
        PROCESS_COMMANDS.map((command) => [
          openApiPath(API_ROUTES[command]),
          {
            post: {
              operationId: `${command}Process`,
              security: [{ bearer: [] }],
              parameters: [processIdParam],
              responses: {
                '202': {
                  description: `${command} sent`,
                  content: { 'application/json': { schema: REF('CommandAccepted') } },
                },
                ...errors(401, 403, 404, 409, 429, 503),
              },
            },
          },
        ]),
      ),
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: Object.fromEntries(
        (Object.keys(WIRE_SCHEMAS) as (keyof typeof WIRE_SCHEMAS)[]).map((n) => [n, componentSchema(n)]),
      ),
    },
  };
}
