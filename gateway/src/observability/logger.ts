import { type DestinationStream, type Logger, pino } from 'pino';

/** Paths pino replaces with [REDACTED]: credentials in headers and bodies, wherever they are logged. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  '*.client_secret',
  '*.clientSecret',
  '*.refresh_token',
  '*.access_token',
  '*.password',
  'client_secret',
  'refresh_token',
  'access_token',
];

export function createLogger(
  options: { level?: string; name?: string; destination?: DestinationStream } = {},
): Logger {
  const config = {
    name: options.name ?? 'stargate-gateway',
    level: options.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}

/**
 * A copy of a request payload with the values at the process type's sensitive JSON pointers
 * replaced, for the rare log line that includes the payload.
 */
export function redactSensitive(data: unknown, pointers: readonly string[] | undefined): unknown {
  if (!pointers?.length || typeof data !== 'object' || data === null) return data;
  const copy = structuredClone(data) as Record<string, unknown>;
  for (const pointer of pointers) {
    const parts = pointer
      .split('/')
      .slice(1)
      .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
    let node: unknown = copy;
    for (let i = 0; i < parts.length; i++) {
      if (typeof node !== 'object' || node === null) break;
      const key = parts[i]!;
      const rec = node as Record<string, unknown>;
      // Own properties only: a pointer like /__proto__/toString must not reach Object.prototype.
      if (!Object.hasOwn(rec, key)) break;
      if (i === parts.length - 1) rec[key] = '[REDACTED]';
      else node = rec[key];
    }
  }
  return copy;
}

export type { Logger };
