/**
 * OAuth scopes of the process API: one per process type and operation, `process:<type>:<operation>`.
 * The gateway grants and checks them, clients ask for them; this is the one place they are spelled.
 */

/** The operations a tenant may be granted per process type; each maps to a scope. */
export const OPERATIONS = ['submit', 'read', 'cancel'] as const;
export type Operation = (typeof OPERATIONS)[number];

/** `process:<type>:<operation>` */
export function scopeFor(processType: string, operation: Operation): string {
  return `process:${processType}:${operation}`;
}

const SCOPE_RE = /^process:([a-z0-9][a-z0-9-]{0,62}):(submit|read|cancel)$/;

export function parseScope(scope: string): { processType: string; operation: Operation } | undefined {
  const m = SCOPE_RE.exec(scope);
  if (!m) return undefined;
  return { processType: m[1]!, operation: m[2] as Operation };
}
