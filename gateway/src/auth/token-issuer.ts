import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { SigningKeys } from './signing-keys.js';

export const ACCESS_TOKEN_TTL_SECONDS = 3600;
export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 3600;
/** Allowed clock difference between us and whoever checks `exp`/`nbf`. */
export const TOKEN_CLOCK_SKEW_SECONDS = 30;

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
  jti: string;
}

export function createTokenIssuer(deps: {
  keys: () => SigningKeys;
  /** Read per token: startGateway learns its URL (the default issuer) only after listening. */
  issuer: () => string;
  audience: string;
  now: () => number;
}) {
  return {
    async issue(claims: { tenantId: string; clientId: string; scope: string[] }): Promise<IssuedToken> {
      const { signer } = deps.keys();
      const iat = Math.floor(deps.now() / 1000);
      const jti = randomUUID();
      const accessToken = await new SignJWT({ tid: claims.tenantId, scope: claims.scope.join(' ') })
        .setProtectedHeader({ alg: 'ES256', kid: signer.kid, typ: 'at+jwt' })
        .setIssuer(deps.issuer())
        .setAudience(deps.audience)
        .setSubject(claims.clientId)
        .setIssuedAt(iat)
        .setNotBefore(iat)
        .setExpirationTime(iat + ACCESS_TOKEN_TTL_SECONDS)
        .setJti(jti)
        .sign(signer.privateKey);
      return { accessToken, expiresIn: ACCESS_TOKEN_TTL_SECONDS, jti };
    },
  };
}

export type TokenIssuer = ReturnType<typeof createTokenIssuer>;
