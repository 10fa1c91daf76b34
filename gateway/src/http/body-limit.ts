/**
 * Per-request body limits, decided before a byte of the body is read: a route's onRequest
 * hook authenticates the caller and sets `request.payloadLimit`; the preParsing hook refuses a
 * declared Content-Length over it at once and cuts a chunked body off as soon as it passes it.
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal.js';
import type { LoadedConfig } from '../config/config-store.js';
import { GatewayError } from './errors.js';

/** What any route may receive unless it says otherwise (the token endpoint, commands, …). */
export const DEFAULT_BODY_LIMIT = 64 * 1024;
/** Cancel and retry carry no body worth the name. */
export const COMMAND_BODY_LIMIT = 4 * 1024;
/** The ceiling for submit routes: no process type may allow more (the config schema caps it at 10 MiB). */
export const SUBMIT_BODY_CEILING = 10 * 1024 * 1024 + 64 * 1024;

function tooLarge(limit: number): GatewayError {
  return new GatewayError('PAYLOAD_TOO_LARGE', `The body exceeds ${limit} bytes`);
}

/** Stops a body without Content-Length as soon as it passes the limit. */
class LimitedStream extends Transform {
  private received = 0;
  /** Read by fastify's raw-body reader to enforce its own limit on the bytes that came in. */
  receivedEncodedLength = 0;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.received += chunk.length;
    this.receivedEncodedLength = this.received;
    if (this.received > this.limit) done(tooLarge(this.limit));
    else done(null, chunk);
  }
}

/** A preParsing hook enforcing `request.payloadLimit` (when a hook before it set one). */
export async function enforcePayloadLimit(
  request: FastifyRequest,
  _reply: unknown,
  payload: NodeJS.ReadableStream,
): Promise<NodeJS.ReadableStream> {
  const limit = request.payloadLimit;
  if (limit === undefined) return payload;
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared)) {
    if (declared > limit) throw tooLarge(limit);
    return payload;
  }
  return payload.pipe(new LimitedStream(limit));
}

/** A submit body may be as large as the largest type the caller may submit (each type checks its own after parsing). */
export function largestSubmitPayload(config: LoadedConfig | undefined, principal: Principal): number {
  let largest = COMMAND_BODY_LIMIT;
  for (const grant of principal.tenant.processTypes) {
    const max = config?.processType.get(grant.name)?.maxPayloadBytes;
    if (max !== undefined && max > largest) largest = max;
  }
  return Math.min(largest, SUBMIT_BODY_CEILING);
}
