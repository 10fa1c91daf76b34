import { type ProcessStatusBody, type ProcessView, presentStatus, statusPath } from '@stargate/contracts';
import type { FastifyReply } from 'fastify';
import type { GatewayContext } from '../http/context.js';

/** Absolute, for the Location header (the bodies carry the relative statusUrl). */
export function statusUrl(publicUrl: string, processId: string): string {
  return `${publicUrl}${statusPath(processId)}`;
}

/** The public status body of a state, with its type's completion estimate as configured now. */
export function present(ctx: GatewayContext, state: ProcessView): ProcessStatusBody {
  const type = ctx.config.current()?.processType.get(state.processType);
  return presentStatus(state, { estimatedDurationSeconds: type?.estimatedDurationSeconds });
}

export function etagOf(version: number): string {
  return `"v${version}"`;
}

/** RFC 9110 If-None-Match: a list of entity tags or `*`; weak comparison. */
export function etagMatches(header: unknown, etag: string): boolean {
  if (typeof header !== 'string') return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

/** 304 with no body: the client's copy is current (the route's typed reply has no 304 body). */
export function sendNotModified(reply: FastifyReply): void {
  reply.code(304).send();
}
