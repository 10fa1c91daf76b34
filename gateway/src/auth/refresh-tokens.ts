import { createHash, randomBytes } from 'node:crypto';
import type { RedisKeys } from '@stargate/contracts';
import type { Redis } from 'ioredis';
import { REFRESH_TOKEN_TTL_SECONDS } from './token-issuer.js';

export interface RefreshGrant {
  tenantId: string;
  clientId: string;
  scope: string[];
}

const hash = (token: string) => createHash('sha256').update(token).digest('hex');

/** GET, and DEL only when the grant's clientId is ARGV[1]; the grant or nil. */
const CONSUME_OWN = `
local raw = redis.call('GET', KEYS[1])
if not raw then return nil end
if cjson.decode(raw).clientId ~= ARGV[1] then return nil end
redis.call('DEL', KEYS[1])
return raw`;

/**
 * Refresh tokens live in Redis under their sha-256 only. Using one deletes it (atomically, so two
 * concurrent uses cannot both succeed) and issues a new one: rotation on use.
 */
export function createRefreshTokenStore(deps: { redis: Redis; keys: RedisKeys }) {
  return {
    async issue(grant: RefreshGrant): Promise<string> {
      const token = randomBytes(32).toString('base64url');
      await deps.redis.set(
        deps.keys.refreshToken(hash(token)),
        JSON.stringify(grant),
        'EX',
        REFRESH_TOKEN_TTL_SECONDS,
      );
      return token;
    },
    /**
     * The grant of a valid token of `clientId`, consuming it; undefined when unknown, used,
     * revoked or another client's. Another client's token is left alone (RFC 6749 §6: bound to
     * its client), checked and deleted in one step so two concurrent uses cannot both succeed.
     */
    async consume(token: string, clientId: string): Promise<RefreshGrant | undefined> {
      const raw = (await deps.redis.eval(CONSUME_OWN, 1, deps.keys.refreshToken(hash(token)), clientId)) as
        | string
        | null;
      return raw ? (JSON.parse(raw) as RefreshGrant) : undefined;
    },
    /** Deletes the token if it belongs to this client (another client's token is left alone). */
    async revoke(token: string, clientId: string): Promise<void> {
      const key = deps.keys.refreshToken(hash(token));
      const raw = await deps.redis.get(key);
      if (raw && (JSON.parse(raw) as RefreshGrant).clientId === clientId) await deps.redis.del(key);
    },
  };
}

export type RefreshTokenStore = ReturnType<typeof createRefreshTokenStore>;
