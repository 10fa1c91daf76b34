import { randomUUID } from 'node:crypto';
import {
  AMQP_HEADERS,
  CommandAcceptedSchema,
  cancelRoutingKey,
  cloudEvent,
  createCircuitBreaker,
  EXCHANGES,
  HTTP_HEADERS,
  isTerminal,
  MESSAGE_TYPES,
  PROCESS_STATUSES,
  type ProcessCommandData,
  type ProcessRequestedData,
  type ProcessStateData,
  type ProcessStatus,
  ProcessListSchema,
  ProcessStatusSchema,
  parsePreferWait,
  presentAccepted,
  type RpcReply,
  retryRoutingKey,
  statusPath,
  SubmitAcceptedSchema,
  SubmitRequestSchema,
  type SubmitRequest,
  WIRE_SCHEMAS,
} from '@stargate/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { EVENT_SOURCE } from '../audit/audit.js';
import { authenticate, enforceRateLimit, requireScope } from '../auth/authenticate.js';
import type { Principal } from '../auth/principal.js';
import type { GatewayContext } from '../http/context.js';
import {
  COMMAND_BODY_LIMIT,
  enforcePayloadLimit,
  largestSubmitPayload,
  SUBMIT_BODY_CEILING,
} from '../http/body-limit.js';
import { GatewayError } from '../http/errors.js';
import { payloadHash } from '../idempotency/idempotency-store.js';
import { ProcessIdsUnavailableError } from '../idempotency/process-id-allocator.js';
import { redactSensitive } from '../observability/logger.js';
import { takePrefetchedState } from '../state/prefetched-state.js';
import { etagMatches, etagOf, present, statusUrl } from './process-view.js';

const MAX_WAIT_SECONDS = 60;
/** How long a keyed submission waits for the server's idempotency-key lookup. */
const LOOKUP_DEADLINE_MS = 1000;

const problemRef = { $ref: 'Problem#' };

/**
 * The contract's schemas (contracts/src/api/wire-schemas.ts) as route schemas, so the
 * OpenAPI document is generated from them. `$id`s are dropped (fastify registers route
 * schemas per route) and the list's item reference is inlined.
 */
function routeSchema<T extends object>(schema: T): Omit<T, '$id'> {
  const { $id: _id, ...rest } = schema as T & { $id?: string };
  return rest;
}
const { $id: _statusId, ...statusSchema } = ProcessStatusSchema;
const listSchema = {
  ...routeSchema(ProcessListSchema),
  properties: { ...ProcessListSchema.properties, items: { type: 'array', items: statusSchema } },
};

/**
 * Answers are built by the contract's presentation functions and written with JSON.stringify:
 * the response schemas document them (OpenAPI) but do not filter them.
 */
const plainJson = () => (data: unknown) => JSON.stringify(data);

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' } },
} as const;

function amqpHeaders(request: FastifyRequest, principal: Principal, extra: Record<string, unknown> = {}) {
  return {
    [AMQP_HEADERS.correlationId]: request.id,
    [AMQP_HEADERS.traceparent]: request.trace.traceparent,
    ...(request.trace.tracestate ? { [AMQP_HEADERS.tracestate]: request.trace.tracestate } : {}),
    [AMQP_HEADERS.tenantId]: principal.tenant.id,
    ...extra,
  };
}

function isJson(request: FastifyRequest): boolean {
  const type = request.headers['content-type'];
  return typeof type === 'string' && /^application\/([\w.-]+\+)?json\s*(;|$)/i.test(type);
}

export async function registerProcessRoutes(app: FastifyInstance, ctx: GatewayContext): Promise<void> {
  app.addSchema({ ...routeSchema(WIRE_SCHEMAS.Error), $id: 'Problem' });

  async function readOwn(
    request: FastifyRequest,
    principal: Principal,
    id: string,
  ): Promise<ProcessStateData> {
    const state = await ctx.reader.get(
      principal.tenant.id,
      id,
      amqpHeaders(request, principal),
      request.otelContext,
      takePrefetchedState(request),
    );
    // Absent and "another tenant's" are the same answer.
    if (!state || state.tenantId !== principal.tenant.id)
      throw new GatewayError('NOT_FOUND', 'No such process');
    return state;
  }

  /**
   * The id the server has bound this key to (a resend's first attempt), or ours. Without Redis
   * the server binds it; with `lookupOnly` (Redis claimed the key: new, or its record expired
   * or was lost) it names the key's recorded process. Either way a key the server knows with
   * another payload is refused (422), so a lost Redis record never turns a reused key into a
   * second request. If the server cannot answer, ours (its unique index still refuses a
   * duplicate key, failing the new process with DUPLICATE_IDEMPOTENCY_KEY). `recorded`: the
   * server holds the process already, so the request is not published again (a second copy
   * would run a still-running process twice).
   */
  const lookupBreaker = createCircuitBreaker({ now: Date.now });

  async function boundId(
    request: FastifyRequest,
    principal: Principal,
    key: { idempotencyKey: string; payloadHash: string; lookupOnly: boolean },
    processId: string,
  ): Promise<{ processId: string; recorded: boolean }> {
    const ours = { processId, recorded: false };
    // While lookups fail (no server answering, its store down), keyed submissions go on at once
    // instead of each waiting out the deadline; one trial lookup after the cool-down.
    if (key.lookupOnly && !lookupBreaker.allowRequest()) return ours;
    let reply: RpcReply;
    try {
      reply = await ctx.rpc.call(
        {
          kind: 'bind-idempotency-key',
          tenantId: principal.tenant.id,
          idempotencyKey: key.idempotencyKey,
          processId,
          payloadHash: key.payloadHash,
          ...(key.lookupOnly ? { lookupOnly: true } : {}),
        },
        amqpHeaders(request, principal),
        request.otelContext,
        // A lookup is a safeguard the submit can do without: while the private side is slow or
        // its store is down, it must not hold every keyed submission for the full RPC deadline.
        key.lookupOnly ? { deadlineMs: LOOKUP_DEADLINE_MS } : {},
      );
    } catch (err) {
      if (key.lookupOnly) lookupBreaker.failure();
      request.log.warn({ err: (err as Error).message }, 'idempotency key not checked by the server');
      return ours;
    }
    const answered = reply.ok || reply.error.code === 'IDEMPOTENCY_KEY_REUSED';
    if (key.lookupOnly && answered) lookupBreaker.success();
    else if (key.lookupOnly) lookupBreaker.failure();
    if (reply.ok && reply.kind === 'bind-idempotency-key')
      return { processId: reply.processId, recorded: reply.recorded === true };
    if (!reply.ok && reply.error.code === 'IDEMPOTENCY_KEY_REUSED')
      throw new GatewayError(
        'IDEMPOTENCY_KEY_REUSED',
        'This idempotency key was used with a different payload',
      );
    request.log.warn({ reply }, 'idempotency key not checked by the server');
    return ours;
  }

  app.post(
    '/processes',
    {
      schema: {
        summary: 'Submit a process; 202 once the broker durably holds it',
        tags: ['processes'],
        security: [{ bearer: [] }],
        headers: {
          type: 'object',
          properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 255 } },
        },
        body: routeSchema(SubmitRequestSchema),
        response: {
          202: routeSchema(SubmitAcceptedSchema),
          '4xx': problemRef,
          '5xx': problemRef,
        },
      },
      serializerCompiler: plainJson,
      bodyLimit: SUBMIT_BODY_CEILING,
      // Auth and the JSON check come before the body is read: an anonymous caller costs no
      // parsing, and a tenant may send no more than its largest process type allows.
      onRequest: async (request) => {
        request.auditInfo = { action: 'submit' };
        const principal = await authenticate(ctx, request);
        if (!isJson(request))
          throw new GatewayError('UNSUPPORTED_MEDIA_TYPE', 'The body must be application/json');
        request.payloadLimit = largestSubmitPayload(ctx.config.current(), principal);
      },
      preParsing: enforcePayloadLimit,
      preValidation: async (request, reply) => {
        // One charge per request: the tenant's budget, plus the type's when it has its own.
        const wanted = (request.body as { processType?: unknown } | undefined)?.processType;
        const principal = request.principal!;
        const typed =
          typeof wanted === 'string' && principal.tenant.processTypes.some((g) => g.name === wanted)
            ? wanted
            : undefined;
        await enforceRateLimit(ctx, principal, reply, typed);
      },
    },
    async (request, reply) => {
      const principal = request.principal!;
      const body = request.body as SubmitRequest;
      const config = ctx.config.current()!;
      request.auditInfo = { action: 'submit', processType: body.processType };
      const type = config.processType.get(body.processType);
      if (!type || !principal.tenant.processTypes.some((g) => g.name === body.processType)) {
        // Unknown and not-granted types look alike, so a tenant cannot enumerate others' types.
        requireScope(principal, body.processType, 'submit');
        throw new GatewayError('INVALID_REQUEST', `Unknown process type ${body.processType}`);
      }
      requireScope(principal, type.name, 'submit');
      if ((request.bodySize ?? 0) > type.maxPayloadBytes) {
        throw new GatewayError(
          'PAYLOAD_TOO_LARGE',
          `The body exceeds ${type.maxPayloadBytes} bytes for ${type.name}`,
        );
      }
      const checked = config.validateRequest.get(type.name)!(body.data, request.bodySize ?? 0);
      if (!checked.ok) {
        throw new GatewayError('INVALID_REQUEST', `data does not match the ${type.name} request schema`, {
          errors: checked.errors,
          ...(checked.errorCount !== undefined ? { errorCount: checked.errorCount } : {}),
        });
      }
      const headerKey = request.headers[HTTP_HEADERS.idempotencyKey];
      const idemKey = typeof headerKey === 'string' ? headerKey : body.idempotencyKey;
      if (
        typeof headerKey === 'string' &&
        body.idempotencyKey !== undefined &&
        body.idempotencyKey !== headerKey
      ) {
        throw new GatewayError('INVALID_REQUEST', 'Idempotency-Key header and idempotencyKey differ');
      }
      const hash = payloadHash({
        processType: type.name,
        clientProcessId: body.clientProcessId,
        data: body.data,
      });

      let claimed = false;
      let reusedId: string | undefined;
      let bindOnServer = false;
      if (idemKey !== undefined) {
        try {
          const begin = await ctx.idempotency.begin(principal.tenant.id, idemKey, hash);
          if (begin.kind === 'mismatch') {
            throw new GatewayError(
              'IDEMPOTENCY_KEY_REUSED',
              'This idempotency key was used with a different payload',
            );
          }
          if (begin.kind === 'in-flight') {
            throw new GatewayError(
              'IDEMPOTENCY_KEY_IN_USE',
              'A request with this idempotency key is in progress',
              {
                retryAfter: 1,
              },
            );
          }
          if (begin.kind === 'replay') {
            request.auditInfo.processId = (begin.response.body as { processId?: string }).processId;
            return reply
              .code(begin.response.status)
              .headers(begin.response.headers)
              .header('idempotent-replayed', 'true')
              .send(begin.response.body);
          }
          claimed = true;
          reusedId = begin.processId;
        } catch (err) {
          if (err instanceof GatewayError) throw err;
          // Redis is down: the server binds the key to the first attempt's id (below), and its
          // unique (tenant, idempotencyKey) index still deduplicates.
          bindOnServer = true;
          ctx.metrics.redisErrors.inc({ operation: 'idempotency' });
          request.log.warn(
            { err: (err as Error).message },
            'idempotency store unavailable; relying on the server',
          );
        }
      }

      const now = new Date(ctx.now());
      let processId: string;
      try {
        processId = reusedId ?? (await ctx.processIds.next());
      } catch (err) {
        if (claimed) await ctx.idempotency.release(principal.tenant.id, idemKey!).catch(() => undefined);
        if (!(err instanceof ProcessIdsUnavailableError)) throw err;
        request.log.warn({ err: String(err.cause) }, 'no process id block; refusing the submit');
        throw new GatewayError('SERVICE_UNAVAILABLE', 'No process id could be reserved; retry later', {
          retryAfter: 5,
        });
      }
      // A key Redis claimed afresh (or lost) and a key without Redis: the server knows the
      // process it belongs to, and its payload.
      let recorded = false;
      if (bindOnServer || (claimed && reusedId === undefined)) {
        try {
          ({ processId, recorded } = await boundId(
            request,
            principal,
            { idempotencyKey: idemKey!, payloadHash: hash, lookupOnly: !bindOnServer },
            processId,
          ));
        } catch (err) {
          if (claimed) await ctx.idempotency.release(principal.tenant.id, idemKey!).catch(() => undefined);
          throw err;
        }
      }
      request.auditInfo.processId = processId;
      const message: ProcessRequestedData = {
        processId,
        tenantId: principal.tenant.id,
        clientId: principal.clientId,
        processType: type.name,
        clientProcessId: body.clientProcessId,
        ...(idemKey !== undefined ? { idempotencyKey: idemKey } : {}),
        payloadHash: hash,
        data: body.data,
        submittedAt: now.toISOString(),
        attempt: 1,
      };
      const event = cloudEvent(
        {
          id: `${processId}:1`,
          source: EVENT_SOURCE,
          type: MESSAGE_TYPES.processRequested,
          tenantId: principal.tenant.id,
          correlationId: request.id,
          subject: processId,
        },
        message,
        now,
      );
      try {
        if (!recorded)
          await ctx.broker.publish(EXCHANGES.requests, type.name, event, {
            messageId: event.id,
            type: event.type,
            mandatory: true,
            traceContext: request.otelContext,
            headers: amqpHeaders(request, principal, {
              [AMQP_HEADERS.processType]: type.name,
              [AMQP_HEADERS.attempt]: 1,
            }),
          });
      } catch (err) {
        // The broker may hold the message although its confirm was lost: the resend keeps the id.
        if (claimed)
          await ctx.idempotency.reopen(principal.tenant.id, idemKey!, hash, processId).catch(() => undefined);
        throw err;
      }

      const accepted = presentAccepted(
        {
          processId,
          clientProcessId: body.clientProcessId,
          processType: type.name,
          createdAt: now.toISOString(),
        },
        { estimatedDurationSeconds: type.estimatedDurationSeconds },
      );
      const headers = {
        location: statusUrl(ctx.publicUrl, processId),
        'retry-after': String(Math.max(1, Math.ceil(type.polling.firstPollSeconds))),
      };
      // Version 0: any event from the server supersedes this optimistic record. Awaited, so a
      // status read right after the 202 finds it even before the server has recorded the process.
      // The idempotency record is completed in the same Redis round trip.
      if (recorded) {
        // No new state: the server's record answers status reads; a stale `accepted` must not hide it.
        if (claimed)
          await ctx.idempotency
            .complete(principal.tenant.id, idemKey!, hash, { status: 202, headers, body: accepted })
            .catch((err: Error) => {
              ctx.metrics.redisErrors.inc({ operation: 'idempotency' });
              request.log.warn({ err: err.message }, 'idempotency record not stored');
            });
      } else {
        await ctx.stateStore
          .writeIfNewer(
            {
              processId,
              clientProcessId: body.clientProcessId,
              processType: type.name,
              status: 'accepted',
              tenantId: principal.tenant.id,
              version: 0,
              createdAt: accepted.createdAt,
              updatedAt: accepted.createdAt,
            },
            claimed
              ? ctx.idempotency.completion(principal.tenant.id, idemKey!, hash, {
                  status: 202,
                  headers,
                  body: accepted,
                })
              : undefined,
          )
          .catch((err: Error) => {
            ctx.metrics.redisErrors.inc({ operation: 'state-write' });
            request.log.warn({ err: err.message }, 'accepted state and idempotency record not stored');
          });
      }
      // The payload only at debug (copied and redacted only then), never the fields its type marks sensitive.
      if (ctx.logger.isLevelEnabled('debug'))
        request.log.debug(
          {
            event: 'process.accepted',
            processId,
            processType: type.name,
            tenantId: principal.tenant.id,
            data: redactSensitive(body.data, type.sensitiveFields),
          },
          'process accepted',
        );
      return reply.code(202).headers(headers).send(accepted);
    },
  );

  app.get(
    '/processes/:id',
    {
      schema: {
        summary: 'Status of a process; Prefer: wait=N holds the answer until it changes',
        tags: ['processes'],
        security: [{ bearer: [] }],
        params: idParams,
        response: { 200: statusSchema, '4xx': problemRef, '5xx': problemRef },
      },
      serializerCompiler: plainJson,
      preValidation: async (request, reply) => {
        request.auditInfo = { action: 'status' };
        // The state is read in the rate limit's Redis round trip.
        const { id } = request.params as { id?: unknown };
        await enforceRateLimit(ctx, await authenticate(ctx, request), reply, undefined, id);
      },
    },
    async (request, reply) => {
      const principal = request.principal!;
      const { id } = request.params as { id: string };
      request.auditInfo = { action: 'status', processId: id };
      const wait = parsePreferWait(request.headers[HTTP_HEADERS.prefer], MAX_WAIT_SECONDS);
      const ifNoneMatch = request.headers['if-none-match'];

      let state = await readOwn(request, principal, id);
      requireScope(principal, state.processType, 'read');
      request.auditInfo.processType = state.processType;

      if (wait !== undefined && wait > 0) {
        // Wait while the client already has this version (or has none yet) and it can still change.
        const waitable = (s: ProcessStateData) =>
          !isTerminal(s.status) && (ifNoneMatch === undefined || etagMatches(ifNoneMatch, etagOf(s.version)));
        reply.header(HTTP_HEADERS.preferenceApplied, `wait=${wait}`);
        if (waitable(state)) {
          const startVersion = state.version;
          const abort = new AbortController();
          const timer = setTimeout(() => abort.abort(), wait * 1000);
          // The response's close before it is sent means the client went away.
          reply.raw.once('close', () => abort.abort());
          try {
            while (!abort.signal.aborted && !ctx.lifecycle.draining) {
              const { changed, unavailable } = await ctx.notifier.watch(
                ctx.keys.processChannel(principal.tenant.id, id),
                abort.signal,
              );
              // Re-read after subscribing: a change between the first read and the subscription is not lost.
              const fresh = await ctx.reader.get(principal.tenant.id, id).catch(() => undefined);
              if (fresh && fresh.version !== startVersion) {
                state = fresh;
                break;
              }
              if (unavailable) break;
              await changed;
            }
            if (abort.signal.aborted || ctx.lifecycle.draining)
              state = (await ctx.reader.get(principal.tenant.id, id).catch(() => undefined)) ?? state;
          } finally {
            clearTimeout(timer);
            abort.abort();
          }
        }
      }

      const etag = etagOf(state.version);
      reply.header('etag', etag).header('cache-control', 'private, no-cache');
      if (!isTerminal(state.status)) {
        const hints = ctx.config.current()?.processType.get(state.processType)?.polling;
        if (hints) {
          // Follow the process type's schedule: the fast interval during the fast phase, then the slow one.
          const ageSeconds = (ctx.now() - Date.parse(state.createdAt)) / 1000;
          const interval =
            ageSeconds < hints.fastPhaseSeconds ? hints.fastIntervalSeconds : hints.slowIntervalSeconds;
          reply.header('retry-after', String(Math.max(1, Math.ceil(interval))));
        }
      }
      if (etagMatches(ifNoneMatch, etag)) return reply.code(304).send();
      return reply.send(present(ctx, state));
    },
  );

  app.get(
    '/processes',
    {
      schema: {
        summary: "The caller's processes, newest first, with cursor pagination",
        tags: ['processes'],
        security: [{ bearer: [] }],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: [...PROCESS_STATUSES] },
            processType: { type: 'string', maxLength: 63 },
            limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
            cursor: { type: 'string', maxLength: 512 },
          },
        },
        response: {
          200: listSchema,
          '4xx': problemRef,
          '5xx': problemRef,
        },
      },
      serializerCompiler: plainJson,
      preValidation: async (request, reply) => {
        request.auditInfo = { action: 'list' };
        await enforceRateLimit(ctx, await authenticate(ctx, request), reply);
      },
    },
    async (request) => {
      const principal = request.principal!;
      const q = request.query as {
        status?: ProcessStatus;
        processType?: string;
        limit: number;
        cursor?: string;
      };
      if (q.processType) requireScope(principal, q.processType, 'read');
      const reply = await ctx.rpc.call(
        {
          kind: 'list-processes',
          tenantId: principal.tenant.id,
          limit: q.limit,
          ...(q.status ? { status: q.status } : {}),
          ...(q.processType ? { processType: q.processType } : {}),
          ...(q.cursor ? { cursor: q.cursor } : {}),
        },
        amqpHeaders(request, principal),
        request.otelContext,
      );
      if (!reply.ok) {
        // The server refuses what the client got wrong (e.g. a stale cursor) with INVALID_REQUEST.
        if (reply.error.code === 'INVALID_REQUEST')
          throw new GatewayError('INVALID_REQUEST', reply.error.message);
        throw new GatewayError('INTERNAL_ERROR', 'The server could not list processes');
      }
      if (reply.kind !== 'list-processes')
        throw new GatewayError('INTERNAL_ERROR', 'Unexpected answer from the server');
      // Only types the token may read; the server pages by tenant.
      const items = reply.page.items
        .filter((p) => principal.scopes.has(`process:${p.processType}:read`))
        .map((p) => present(ctx, p));
      return { items, ...(reply.page.nextCursor ? { nextCursor: reply.page.nextCursor } : {}) };
    },
  );

  async function command(
    request: FastifyRequest,
    reply: FastifyReply,
    name: 'cancel' | 'retry',
  ): Promise<FastifyReply> {
    const principal = request.principal!;
    const { id } = request.params as { id: string };
    request.auditInfo = { action: name, processId: id };
    const state = await readOwn(request, principal, id);
    request.auditInfo.processType = state.processType;
    requireScope(principal, state.processType, name === 'cancel' ? 'cancel' : 'submit');
    if (name === 'cancel' && isTerminal(state.status)) {
      throw new GatewayError('INVALID_STATE', `The process is already ${state.status}`);
    }
    if (name === 'retry' && !(state.status === 'failed' && state.error?.retryable === true)) {
      throw new GatewayError('INVALID_STATE', 'Only a failed process with a retryable error can be retried');
    }
    const now = new Date(ctx.now());
    const data: ProcessCommandData = {
      processId: id,
      tenantId: principal.tenant.id,
      clientId: principal.clientId,
      command: name,
      requestedAt: now.toISOString(),
    };
    const event = cloudEvent(
      {
        id: randomUUID(),
        source: EVENT_SOURCE,
        type: name === 'cancel' ? MESSAGE_TYPES.processCancel : MESSAGE_TYPES.processRetry,
        tenantId: principal.tenant.id,
        correlationId: request.id,
        subject: id,
      },
      data,
      now,
    );
    await ctx.broker.publish(
      EXCHANGES.control,
      name === 'cancel' ? cancelRoutingKey(id) : retryRoutingKey(id),
      event,
      {
        messageId: event.id,
        type: event.type,
        mandatory: true,
        traceContext: request.otelContext,
        headers: amqpHeaders(request, principal, { [AMQP_HEADERS.processType]: state.processType }),
      },
    );
    return reply
      .code(202)
      .header('location', statusUrl(ctx.publicUrl, id))
      .send({ processId: id, command: name, status: state.status, statusUrl: statusPath(id) });
  }

  for (const name of ['cancel', 'retry'] as const) {
    app.post(
      `/processes/:id/${name}`,
      {
        schema: {
          summary: name === 'cancel' ? 'Cancel a running process' : 'Retry a retryable failure',
          tags: ['processes'],
          security: [{ bearer: [] }],
          params: idParams,
          response: { 202: routeSchema(CommandAcceptedSchema), '4xx': problemRef, '5xx': problemRef },
        },
        serializerCompiler: plainJson,
        bodyLimit: COMMAND_BODY_LIMIT,
        // Before the body is read: an anonymous caller costs no parsing.
        onRequest: async (request, reply) => {
          request.auditInfo = { action: name };
          await enforceRateLimit(ctx, await authenticate(ctx, request), reply);
        },
      },
      (request, reply) => command(request, reply, name),
    );
  }
}
