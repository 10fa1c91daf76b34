/**
 * `POST /processes`: submit a process; 202 once the broker durably holds it. The steps, each in
 * its own module: check the submission (validate.ts), claim the idempotency key or replay its
 * answer (key-claim.ts), reserve and bind the process id (bind-key.ts), publish the request
 * (requested-event.ts), record the optimistic state and answer (accepted.ts).
 */
import {
  API_ROUTES,
  SubmitAcceptedSchema,
  SubmitHeadersSchema,
  SubmitRequestSchema,
} from '@stargate/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { enforceRateLimit } from '../../auth/authenticate.js';
import { enforcePayloadLimit, largestSubmitPayload, SUBMIT_BODY_CEILING } from '../../http/body-limit.js';
import type { GatewayContext } from '../../http/context.js';
import { GatewayError } from '../../http/errors.js';
import { rule } from '../guard.js';
import { ERROR_RESPONSES, type ProcessApi, plainJson, routeSchema } from '../route-schemas.js';
import { acceptedAnswer, logAccepted, recordAccepted } from './accepted.js';
import { createKeyBinder, reserveProcessId } from './bind-key.js';
import { claimKey, reopenClaim, sendReplay } from './key-claim.js';
import { publishRequested, requestedEvent } from './requested-event.js';
import { checkSubmission } from './validate.js';

function isJson(request: FastifyRequest): boolean {
  const type = request.headers['content-type'];
  return typeof type === 'string' && /^application\/([\w.-]+\+)?json\s*(;|$)/i.test(type);
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && Number(length) !== 0);
}

/**
 * After the guard authenticated the caller, before the body is read: a tenant may send no more
 * than its largest process type allows, and only JSON.
 */
async function limitBody(ctx: GatewayContext, request: FastifyRequest): Promise<void> {
  if (!isJson(request)) {
    // No body at all is a missing request (400, like an empty JSON body), not a wrong media type.
    if (request.headers['content-type'] === undefined && !hasBody(request))
      throw new GatewayError('INVALID_REQUEST', 'The body is empty');
    throw new GatewayError('UNSUPPORTED_MEDIA_TYPE', 'The body must be application/json');
  }
  request.payloadLimit = largestSubmitPayload(ctx.config.current(), request.principal!);
}

/** One charge per request: the tenant's budget, plus the type's when it has its own. */
async function chargeByType(
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const wanted = (request.body as { processType?: unknown } | undefined)?.processType;
  const principal = request.principal!;
  const typed =
    typeof wanted === 'string' && principal.tenant.processTypes.some((g) => g.name === wanted)
      ? wanted
      : undefined;
  await enforceRateLimit(ctx, principal, reply, typed);
}

export function registerSubmitRoute(api: ProcessApi, ctx: GatewayContext): void {
  const bindKey = createKeyBinder(ctx);
  api.post(
    API_ROUTES.processes,
    {
      schema: {
        summary: 'Submit a process; 202 once the broker durably holds it',
        tags: ['processes'],
        security: [{ bearer: [] }],
        headers: SubmitHeadersSchema,
        body: routeSchema(SubmitRequestSchema),
        response: { 202: routeSchema(SubmitAcceptedSchema), ...ERROR_RESPONSES },
      },
      serializerCompiler: plainJson,
      bodyLimit: SUBMIT_BODY_CEILING,
      config: rule('submit', 'after-body'),
      onRequest: (request) => limitBody(ctx, request),
      preParsing: enforcePayloadLimit,
      // The body is parsed but not validated yet: the charge must not depend on it being valid.
      preValidation: (request, reply) => chargeByType(ctx, request, reply),
    },
    async (request, reply) => {
      const principal = request.principal!;
      const tenantId = principal.tenant.id;
      request.auditInfo = { action: 'submit', processType: request.body.processType };
      const submission = checkSubmission(ctx, request, principal, request.body);

      const claim = await claimKey(ctx, request, tenantId, submission);
      if (claim.kind === 'replay') return sendReplay(request, reply, claim.response);

      const now = new Date(ctx.now());
      const reserved = await reserveProcessId(ctx, request, tenantId, claim);
      const { processId, recorded } = await bindKey(request, principal, claim, reserved);
      request.auditInfo.processId = processId;

      const event = requestedEvent(request, principal, submission, processId, now);
      try {
        if (!recorded) await publishRequested(ctx, request, principal, submission.type.name, event);
      } catch (err) {
        await reopenClaim(ctx, tenantId, claim, processId);
        throw err;
      }

      const accepted = acceptedAnswer(ctx, submission, processId, now);
      await recordAccepted(ctx, request, principal, claim, accepted, recorded);
      logAccepted(ctx, request, principal, submission, processId);
      return reply.code(202).headers(accepted.headers).send(accepted.body);
    },
  );
}
