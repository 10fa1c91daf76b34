import type { ProcessStateData, ProcessView } from '@stargate/contracts';

export function statusUrl(publicUrl: string, processId: string): string {
  return `${publicUrl}/api/stargate/processes/${encodeURIComponent(processId)}`;
}

/** The client's view: no tenant id, with the status URL. */
export function toView(state: ProcessStateData | ProcessView, publicUrl: string): ProcessView {
  const { tenantId: _tenantId, ...view } = state as ProcessStateData;
  return { ...view, statusUrl: statusUrl(publicUrl, state.processId) };
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
