/**
 * Submit, step 1: what the caller sent is checked against what it may do — the process type
 * (known and granted), its scope, its size limit, its request schema, and the idempotency key
 * (header and body agree) — before anything is claimed, reserved or published.
 */
import { HTTP_HEADERS, type ProcessTypeConfig, type SubmitRequestBody } from '@stargate/contracts';
import type { FastifyRequest } from 'fastify';
import { requireScope } from '../../auth/authenticate.js';
import type { Principal } from '../../auth/principal.js';
import type { GatewayContext } from '../../http/context.js';
import { GatewayError } from '../../http/errors.js';
import { payloadHash } from '../../idempotency/idempotency-store.js';

/** A submission that passed every check. */
export interface Submission {
  body: SubmitRequestBody;
  type: ProcessTypeConfig;
  /** From the Idempotency-Key header or the body. */
  idempotencyKey: string | undefined;
  /** What a resend with the same key must match. */
  payloadHash: string;
}

/** Unknown and not-granted types look alike, so a tenant cannot enumerate others' types. */
function grantedType(ctx: GatewayContext, principal: Principal, name: string): ProcessTypeConfig {
  const type = ctx.config.current()!.processType.get(name);
  if (!type || !principal.tenant.processTypes.some((g) => g.name === name)) {
    requireScope(principal, name, 'submit');
    throw new GatewayError('INVALID_REQUEST', `Unknown process type ${name}`);
  }
  requireScope(principal, type.name, 'submit');
  return type;
}

function checkData(
  ctx: GatewayContext,
  request: FastifyRequest,
  type: ProcessTypeConfig,
  data: unknown,
): void {
  if ((request.bodySize ?? 0) > type.maxPayloadBytes) {
    throw new GatewayError(
      'PAYLOAD_TOO_LARGE',
      `The body exceeds ${type.maxPayloadBytes} bytes for ${type.name}`,
    );
  }
  const checked = ctx.config.current()!.validateRequest.get(type.name)!(data, request.bodySize ?? 0);
  if (!checked.ok) {
    throw new GatewayError('INVALID_REQUEST', `data does not match the ${type.name} request schema`, {
      errors: checked.errors,
      ...(checked.errorCount !== undefined ? { errorCount: checked.errorCount } : {}),
    });
  }
}

/** The header and the body may both name the key, but not two different ones. */
function idempotencyKeyOf(request: FastifyRequest, body: SubmitRequestBody): string | undefined {
  const headerKey = request.headers[HTTP_HEADERS.idempotencyKey];
  const key = typeof headerKey === 'string' ? headerKey : body.idempotencyKey;
  if (
    typeof headerKey === 'string' &&
    body.idempotencyKey !== undefined &&
    body.idempotencyKey !== headerKey
  ) {
    throw new GatewayError('INVALID_REQUEST', 'Idempotency-Key header and idempotencyKey differ');
  }
  return key;
}

export function checkSubmission(
  ctx: GatewayContext,
  request: FastifyRequest,
  principal: Principal,
  body: SubmitRequestBody,
): Submission {
  const type = grantedType(ctx, principal, body.processType);
  checkData(ctx, request, type, body.data);
  const idempotencyKey = idempotencyKeyOf(request, body);
  const hash = payloadHash({
    processType: type.name,
    clientProcessId: body.clientProcessId,
    data: body.data,
  });
  return { body, type, idempotencyKey, payloadHash: hash };
}
