/**
 * Redis key builders. Every key of a tenant carries the hash tag `{t:<tenant>}` so that
 * a tenant's keys land in one Redis Cluster slot and multi-key scripts stay legal.
 * `prefix` isolates deployments (and tests) sharing one Redis.
 */
export interface KeyOptions {
  prefix?: string;
}

function tag(tenantId: string): string {
  return `{t:${tenantId}}`;
}

export function redisKeys(opts: KeyOptions = {}) {
  const p = opts.prefix ?? 'sg';
  return {
    process: (tenantId: string, processId: string) => `${p}:${tag(tenantId)}:process:${processId}`,
    tenantIndex: (tenantId: string) => `${p}:${tag(tenantId)}:processes`,
    idempotency: (tenantId: string, key: string) => `${p}:${tag(tenantId)}:idem:${key}`,
    rateLimit: (tenantId: string, bucket: string) => `${p}:${tag(tenantId)}:rl:${bucket}`,
    refreshToken: (tokenHash: string) => `${p}:refresh:${tokenHash}`,
    /** pub/sub channel that wakes long-polls waiting on a process. */
    processChannel: (tenantId: string, processId: string) => `${p}:${tag(tenantId)}:changed:${processId}`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;
