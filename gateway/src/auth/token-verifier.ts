import { TOKEN_CLOCK_SKEW_SECONDS } from './token-issuer.js';
import { createRemoteJWKSet, decodeJwt, errors, type JWTPayload, jwtVerify } from 'jose';
import type { LoadedConfig } from '../config/config-store.js';
import { GatewayError } from '../http/errors.js';
import type { Principal } from './principal.js';
import type { SigningKeys } from './signing-keys.js';
import { createVerifiedTokenCache, type VerifiedClaims } from './verified-token-cache.js';

export interface TokenVerifier {
  verify(token: string, config: LoadedConfig): Promise<Principal>;
}

/** The specification's 401 wording ("Token expired or invalid"). */
function invalid(reason: string, message = 'Token expired or invalid'): GatewayError {
  return new GatewayError('INVALID_TOKEN', message, {
    authFailure: reason,
    headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
  });
}

function reasonOf(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'expired';
  if (err instanceof errors.JWTClaimValidationFailed) return `claim_${err.claim}`;
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'signature';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'algorithm';
  if (err instanceof errors.JWKSNoMatchingKey) return 'unknown_key';
  return 'malformed';
}

/**
 * Verifies our own tokens against the local key set and external tokens against their
 * issuer's JWKS. `alg` is pinned to ES256 (no `none`, no HS/RS confusion); the issuer is
 * read unverified only to choose which keys to verify with.
 */
export function createTokenVerifier(deps: {
  keys: () => SigningKeys;
  issuer: () => string;
  audience: string;
  now: () => number;
  /** Bound of the verified-token cache (0 turns it off). */
  cacheEntries?: number;
}): TokenVerifier {
  const cacheEntries = deps.cacheEntries ?? 10_000;
  const cache =
    cacheEntries > 0 ? createVerifiedTokenCache({ maxEntries: cacheEntries, now: deps.now }) : undefined;
  // The kids of each key set, so a cached token whose key was rotated out is refused.
  const kidsBySet = new WeakMap<SigningKeys, Set<string>>();
  const kidsOf = (keys: SigningKeys) => {
    let kids = kidsBySet.get(keys);
    if (!kids) {
      kids = new Set(keys.jwks.keys.map((k) => k.kid).filter((k): k is string => typeof k === 'string'));
      kidsBySet.set(keys, kids);
    }
    return kids;
  };
  const remoteSets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
  const remote = (url: string) => {
    let set = remoteSets.get(url);
    if (!set) {
      set = createRemoteJWKSet(new URL(url));
      remoteSets.set(url, set);
    }
    return set;
  };
  const currentDate = () => new Date(deps.now());

  function principalFor(
    config: LoadedConfig,
    tenantId: string,
    clientId: string,
    scope: unknown,
    jti?: string,
  ) {
    const tenant = config.tenantById.get(tenantId);
    // A removed tenant is refused at once, even with a token that is still valid.
    if (!tenant) throw invalid('unknown_tenant');
    if (tenant.suspended) {
      throw new GatewayError('TENANT_SUSPENDED', 'This tenant is suspended', { authFailure: 'suspended' });
    }
    const granted = config.grantedScopes(tenant);
    const requested = typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [...granted];
    const scopes = new Set(requested.filter((s) => granted.has(s)));
    const principal: Principal = { tenant, clientId, scopes };
    if (jti) principal.tokenId = jti;
    return principal;
  }

  /** The principal for a verified token of our own, against the config in force now. */
  function ownPrincipal(config: LoadedConfig, claims: VerifiedClaims): Principal {
    // Same config object, same answer: config changes swap in a new object.
    if (claims.derived?.config === config) return claims.derived.principal;
    const principal = principalFor(config, claims.tenantId, claims.clientId, claims.scope, claims.jti);
    if (principal.tenant.clientId !== claims.clientId) throw invalid('client_mismatch');
    claims.derived = { config, principal };
    return principal;
  }

  return {
    async verify(token, config) {
      const cacheKey = cache?.keyOf(token);
      if (cache && cacheKey) {
        const hit = cache.get(cacheKey);
        if (hit) {
          if (hit.issuer === deps.issuer() && kidsOf(deps.keys()).has(hit.kid))
            return ownPrincipal(config, hit);
          cache.delete(cacheKey);
        }
      }
      let unverified: JWTPayload;
      try {
        unverified = decodeJwt(token);
      } catch {
        throw invalid('malformed');
      }
      if (unverified.iss === deps.issuer()) {
        let payload: JWTPayload;
        let kid: string | undefined;
        try {
          ({
            payload,
            protectedHeader: { kid },
          } = await jwtVerify(token, deps.keys().keySet, {
            algorithms: ['ES256'],
            issuer: deps.issuer(),
            audience: deps.audience,
            clockTolerance: TOKEN_CLOCK_SKEW_SECONDS,
            currentDate: currentDate(),
            requiredClaims: ['exp', 'sub', 'tid'],
          }));
        } catch (err) {
          throw invalid(reasonOf(err));
        }
        if (typeof payload.tid !== 'string' || typeof payload.sub !== 'string') throw invalid('malformed');
        const claims: VerifiedClaims = {
          tenantId: payload.tid,
          clientId: payload.sub,
          scope: payload.scope,
          ...(payload.jti ? { jti: payload.jti } : {}),
          kid: kid ?? '',
          issuer: deps.issuer(),
          expiresAtMs: ((payload.exp ?? 0) + TOKEN_CLOCK_SKEW_SECONDS) * 1000,
        };
        // Cached once the signature and claims are good, whatever the tenant's state: that is
        // checked on every use, so a suspended tenant's token is refused but works on resume.
        if (cache && cacheKey && kid) cache.set(cacheKey, claims);
        return ownPrincipal(config, claims);
      }
      const candidates =
        typeof unverified.iss === 'string' ? config.tenantByIssuer.get(unverified.iss) : undefined;
      if (!candidates?.length) throw invalid('unknown_issuer');
      let lastErr: unknown;
      for (const tenant of candidates) {
        const ext = tenant.externalIssuer!;
        try {
          const { payload } = await jwtVerify(token, remote(ext.jwksUrl), {
            algorithms: ['ES256', 'RS256', 'PS256', 'EdDSA'],
            issuer: ext.issuer,
            audience: ext.audience,
            clockTolerance: TOKEN_CLOCK_SKEW_SECONDS,
            currentDate: currentDate(),
            requiredClaims: ['exp'],
          });
          const client =
            (typeof payload.client_id === 'string' && payload.client_id) ||
            (typeof payload.azp === 'string' && payload.azp) ||
            payload.sub;
          if (ext.clientId && client !== ext.clientId) continue;
          return principalFor(config, tenant.id, client ?? tenant.clientId, payload.scope, payload.jti);
        } catch (err) {
          if (err instanceof GatewayError) throw err;
          lastErr = err;
        }
      }
      throw invalid(lastErr ? reasonOf(lastErr) : 'client_mismatch');
    },
  };
}
