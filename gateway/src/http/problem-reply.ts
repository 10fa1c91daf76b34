import { makeProblem, PROBLEM_CONTENT_TYPE } from '@stargate/contracts';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayContext } from './context.js';
import { BrokerUnavailableError, GatewayError, RpcTimeoutError } from './errors.js';

const BROKER_RETRY_AFTER_SECONDS = 5;

type ValidationIssue = NonNullable<FastifyError['validation']>[number];

const PART_NAMES: Record<string, string> = {
  body: 'field',
  querystring: 'query parameter',
  params: 'path parameter',
  headers: 'header',
};

/** The JSON pointer of the offending value; an unknown property names the property itself. */
function issuePath(v: ValidationIssue): string {
  const extra = v.keyword === 'additionalProperties' ? v.params?.additionalProperty : undefined;
  return typeof extra === 'string' ? `${v.instancePath}/${extra}` : v.instancePath || '/';
}

/** One sentence naming what is wrong and where, e.g. "Invalid field clientProcessId: must be string". */
function describeIssue(part: string, v: ValidationIssue): string {
  const name = PART_NAMES[part] ?? 'value';
  const extra = v.keyword === 'additionalProperties' ? v.params?.additionalProperty : undefined;
  if (typeof extra === 'string') return `Unknown ${name}: ${extra}`;
  const missing = v.keyword === 'required' ? v.params?.missingProperty : undefined;
  if (typeof missing === 'string') return `Missing required ${name}: ${missing}`;
  const at = v.instancePath.slice(1).replaceAll('/', '.');
  if (!at) return part === 'body' ? `The body ${v.message ?? 'is invalid'}` : 'The request is invalid';
  return `Invalid ${name} ${at}: ${v.message ?? 'is invalid'}`;
}

function fromFastifyError(err: FastifyError): GatewayError | undefined {
  if (err.validation) {
    const part = err.validationContext ?? 'body';
    const first = err.validation[0];
    // "Missing required field: clientProcessId" is the specification's wording.
    const message = first ? describeIssue(part, first) : 'The request is invalid';
    return new GatewayError('INVALID_REQUEST', message, {
      errors: err.validation.map((v) => ({
        path: `${part === 'body' ? '' : `${part}:`}${issuePath(v)}`,
        message:
          v.keyword === 'required' && typeof v.params?.missingProperty === 'string'
            ? `must have property ${v.params.missingProperty}`
            : (v.message ?? 'is invalid'),
      })),
    });
  }
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new GatewayError('UNSUPPORTED_MEDIA_TYPE', 'The body must be application/json');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new GatewayError('PAYLOAD_TOO_LARGE', 'The body is too large');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new GatewayError('INVALID_REQUEST', 'The body is not valid JSON');
    default:
      break;
  }
  if (err.statusCode === 400 || (err instanceof SyntaxError && err.statusCode === undefined)) {
    return new GatewayError('INVALID_REQUEST', 'The body is not valid JSON');
  }
  if (err.statusCode === 404) return new GatewayError('NOT_FOUND', 'No such resource');
  if (err.statusCode === 405) return new GatewayError('METHOD_NOT_ALLOWED', 'Method not allowed');
  if (err.statusCode === 406) return new GatewayError('NOT_ACCEPTABLE', 'Not acceptable');
  if (err.statusCode === 413) return new GatewayError('PAYLOAD_TOO_LARGE', 'The body is too large');
  if (err.statusCode === 415)
    return new GatewayError('UNSUPPORTED_MEDIA_TYPE', 'The body must be application/json');
  return undefined;
}

/** Maps any error to problem+json; nothing internal (stack, hosts, messages of foreign errors) leaks. */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  if (err instanceof BrokerUnavailableError) {
    return new GatewayError('SERVICE_UNAVAILABLE', 'The service is temporarily unavailable; retry later', {
      retryAfter: BROKER_RETRY_AFTER_SECONDS,
    });
  }
  if (err instanceof RpcTimeoutError) {
    return new GatewayError('UPSTREAM_TIMEOUT', 'The process state could not be read in time; retry later', {
      retryAfter: BROKER_RETRY_AFTER_SECONDS,
    });
  }
  if (err && typeof err === 'object' && 'code' in err) {
    const mapped = fromFastifyError(err as FastifyError);
    if (mapped) return mapped;
  }
  return new GatewayError('INTERNAL_ERROR', 'An internal error occurred');
}

export function sendProblem(
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
  err: GatewayError,
): FastifyReply {
  if (err.authFailure) ctx.metrics.authFailures.inc({ reason: err.authFailure });
  const problem = makeProblem(
    err.code,
    err.message,
    {
      correlationId: request.id,
      instance: request.url.split('?')[0],
      ...(err.retryAfter !== undefined ? { retryAfter: err.retryAfter } : {}),
      ...(err.errors ? { errors: err.errors } : {}),
      ...(err.errorCount !== undefined ? { errorCount: err.errorCount } : {}),
    },
    new Date(ctx.now()),
  );
  if (err.headers) reply.headers(err.headers);
  if (err.retryAfter !== undefined) reply.header('retry-after', String(err.retryAfter));
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
}
