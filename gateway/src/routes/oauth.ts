import { API_ROUTES, ERROR_CODES } from '@stargate/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  type ClientAuthentication,
  type ClientAuthenticator,
  createClientAuthenticator,
} from '../auth/client-authenticator.js';
import { DEFAULT_BODY_LIMIT } from '../http/body-limit.js';
import type { GatewayContext } from '../http/context.js';
import { toGatewayError } from '../http/problem-reply.js';

type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'temporarily_unavailable';

/**
 * RFC 6749 §5.2 error body (what OAuth clients parse), with the problem fields alongside so
 * generic clients read it too.
 */
function oauthError(
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  error: OAuthErrorCode,
  description: string,
) {
  if (error === 'invalid_client') {
    ctx.metrics.authFailures.inc({ reason: 'client_credentials' });
    reply.header('www-authenticate', 'Basic realm="stargate"');
  }
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .send({
      error,
      error_description: description,
      status,
      message: description,
      timestamp: new Date(ctx.now()).toISOString(),
      correlationId: request.id,
    });
}

function formValue(body: Record<string, unknown>, name: string): string | undefined {
  const v = body[name];
  return typeof v === 'string' ? v : undefined;
}

/** Names of parameters a form sent more than once (RFC 6749 §3.2: each at most once). */
const REPEATED = Symbol('repeated parameters');
type Form = Record<string, unknown> & { [REPEATED]?: string[] };

function parseForm(text: string): Form {
  const form: Form = {};
  const repeated = new Set<string>();
  for (const [name, value] of new URLSearchParams(text)) {
    if (Object.hasOwn(form, name)) repeated.add(name);
    form[name] = value;
  }
  if (repeated.size) form[REPEATED] = [...repeated];
  return form;
}

/**
 * What makes a token request malformed before any grant is looked at (RFC 6749 §5.2
 * `invalid_request`): a body that is not a form (or JSON object), a repeated parameter, no
 * `grant_type`.
 */
function malformedTokenRequest(request: FastifyRequest): string | undefined {
  const body = request.body;
  if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body)))
    return 'The token request must be application/x-www-form-urlencoded';
  const repeated = (body as Form | undefined)?.[REPEATED];
  if (repeated?.length) return `Parameters may be sent only once: ${repeated.join(', ')}`;
  if (typeof (body as Form | undefined)?.grant_type !== 'string') return 'grant_type is required';
  return undefined;
}

type Credentials = { clientId: string; secret: string };

/** client_secret_basic (RFC 6749 §2.3.1: form-urlencoded id and secret); 'malformed' when unreadable. */
function basicCredentials(request: FastifyRequest): Credentials | 'malformed' | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string' || !/^Basic\s+/i.test(header)) return undefined;
  const decoded = Buffer.from(header.replace(/^Basic\s+/i, ''), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return 'malformed';
  try {
    return {
      clientId: decodeURIComponent(decoded.slice(0, i).replaceAll('+', ' ')),
      secret: decodeURIComponent(decoded.slice(i + 1).replaceAll('+', ' ')),
    };
  } catch {
    return 'malformed';
  }
}

/** client_secret_basic or client_secret_post; not both. */
function clientCredentials(
  request: FastifyRequest,
  body: Record<string, unknown>,
): Credentials | 'ambiguous' | undefined {
  const bodyId = formValue(body, 'client_id');
  const bodySecret = formValue(body, 'client_secret');
  const basic = basicCredentials(request);
  if (basic !== undefined) {
    if (bodySecret !== undefined) return 'ambiguous';
    return basic === 'malformed' ? undefined : basic;
  }
  if (bodyId !== undefined && bodySecret !== undefined) return { clientId: bodyId, secret: bodySecret };
  return undefined;
}

/**
 * One authenticator per gateway: the OAuth routes are registered with and without the API
 * prefix, and both must count failed logins against the same budget.
 */
const authenticators = new WeakMap<GatewayContext, ClientAuthenticator>();
function clientAuthenticatorOf(ctx: GatewayContext): ClientAuthenticator {
  let clients = authenticators.get(ctx);
  if (!clients) {
    clients = createClientAuthenticator({ now: ctx.now });
    authenticators.set(ctx, clients);
  }
  return clients;
}

export async function registerOAuthRoutes(app: FastifyInstance, ctx: GatewayContext): Promise<void> {
  const clients = clientAuthenticatorOf(ctx);

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, parseForm(body as string));
  });

  // client_secret_basic is checked in onRequest, before the body is read.
  const basicChecked = new WeakMap<FastifyRequest, ClientAuthentication>();

  async function authenticateClient(request: FastifyRequest, creds: Credentials) {
    const known = basicChecked.get(request);
    if (known !== undefined || basicChecked.has(request)) return known;
    const config = ctx.config.current();
    if (!config) return undefined;
    return clients.authenticate(config, creds.clientId, creds.secret, request.ip);
  }

  async function checkBasicFirst(request: FastifyRequest, reply: FastifyReply) {
    request.auditInfo = { action: request.url.endsWith('/revoke') ? 'revoke' : 'token' };
    const config = ctx.config.current();
    const basic = basicCredentials(request);
    if (!config || basic === undefined) return;
    if (basic === 'malformed')
      return oauthError(ctx, request, reply, 401, 'invalid_client', 'Client authentication failed');
    const result = await clients.authenticate(config, basic.clientId, basic.secret, request.ip);
    basicChecked.set(request, result);
    if (result === undefined)
      return oauthError(ctx, request, reply, 401, 'invalid_client', 'Client authentication failed');
    if ('retryAfterSeconds' in result) return throttled(request, reply, result.retryAfterSeconds);
  }

  function throttled(request: FastifyRequest, reply: FastifyReply, retryAfterSeconds: number) {
    ctx.metrics.authFailures.inc({ reason: 'client_throttled' });
    reply.header('retry-after', String(retryAfterSeconds));
    return oauthError(
      ctx,
      request,
      reply,
      429,
      'invalid_client',
      'Too many failed authentications; retry later',
    );
  }

  app.post(
    API_ROUTES.token,
    {
      // A form of a few fields: a large body is refused from its Content-Length, unread.
      bodyLimit: DEFAULT_BODY_LIMIT,
      onRequest: checkBasicFirst,
      // A body the parsers refuse (another media type, broken JSON, too large) is still an
      // RFC 6749 error, which is what an OAuth client parses.
      errorHandler: (err, request, reply) => {
        const mapped = toGatewayError(err);
        const status = ERROR_CODES[mapped.code];
        if (status >= 500) throw err;
        const description =
          status === 415 ? 'The token request must be application/x-www-form-urlencoded' : mapped.message;
        return oauthError(ctx, request, reply, status, 'invalid_request', description);
      },
      schema: {
        summary: 'OAuth 2 token endpoint: client_credentials and refresh_token grants',
        tags: ['oauth'],
        consumes: ['application/x-www-form-urlencoded', 'application/json'],
      },
    },
    async (request, reply) => {
      request.auditInfo = { action: 'token' };
      const body = (request.body && typeof request.body === 'object' ? request.body : {}) as Record<
        string,
        unknown
      >;
      const config = ctx.config.current();
      if (!config)
        return oauthError(ctx, request, reply, 503, 'temporarily_unavailable', 'The gateway is starting');
      const malformed = malformedTokenRequest(request);
      if (malformed) return oauthError(ctx, request, reply, 400, 'invalid_request', malformed);
      const creds = clientCredentials(request, body);
      if (creds === 'ambiguous') {
        return oauthError(
          ctx,
          request,
          reply,
          400,
          'invalid_request',
          'Use one client authentication method',
        );
      }
      if (!creds)
        return oauthError(ctx, request, reply, 401, 'invalid_client', 'Client authentication failed');
      const tenant = await authenticateClient(request, creds);
      if (tenant && 'retryAfterSeconds' in tenant) return throttled(request, reply, tenant.retryAfterSeconds);
      if (!tenant)
        return oauthError(ctx, request, reply, 401, 'invalid_client', 'Client authentication failed');
      if (tenant.suspended) {
        ctx.metrics.authFailures.inc({ reason: 'suspended' });
        return oauthError(ctx, request, reply, 400, 'unauthorized_client', 'This tenant is suspended');
      }
      const granted = config.grantedScopes(tenant);
      const grantType = formValue(body, 'grant_type');
      let baseScopes: string[];
      if (grantType === 'client_credentials') {
        baseScopes = [...granted];
      } else if (grantType === 'refresh_token') {
        const token = formValue(body, 'refresh_token');
        if (!token)
          return oauthError(ctx, request, reply, 400, 'invalid_request', 'refresh_token is required');
        const grant = await ctx.refreshTokens.consume(token);
        if (!grant || grant.clientId !== tenant.clientId || grant.tenantId !== tenant.id) {
          ctx.metrics.authFailures.inc({ reason: 'refresh_token' });
          return oauthError(
            ctx,
            request,
            reply,
            400,
            'invalid_grant',
            'The refresh token is invalid, used or revoked',
          );
        }
        baseScopes = grant.scope.filter((s) => granted.has(s));
      } else {
        return oauthError(
          ctx,
          request,
          reply,
          400,
          'unsupported_grant_type',
          'Use client_credentials or refresh_token',
        );
      }
      const requested = formValue(body, 'scope');
      let scopes = baseScopes;
      if (requested !== undefined && requested.trim() !== '') {
        const wanted = [...new Set(requested.split(' ').filter(Boolean))];
        const allowed = new Set(baseScopes);
        const refused = wanted.filter((s) => !allowed.has(s));
        if (refused.length) {
          return oauthError(
            ctx,
            request,
            reply,
            400,
            'invalid_scope',
            `Scope not granted: ${refused.join(' ')}`,
          );
        }
        scopes = wanted;
      }
      const issued = await ctx.tokenIssuer.issue({
        tenantId: tenant.id,
        clientId: tenant.clientId,
        scope: scopes,
      });
      request.principal = { tenant, clientId: tenant.clientId, scopes: new Set(scopes), tokenId: issued.jti };
      let refreshToken: string | undefined;
      try {
        refreshToken = await ctx.refreshTokens.issue({
          tenantId: tenant.id,
          clientId: tenant.clientId,
          scope: scopes,
        });
      } catch (err) {
        // Without Redis there is no refresh token, but the client still gets its access token.
        ctx.metrics.redisErrors.inc({ operation: 'refresh-token' });
        request.log.warn({ err: (err as Error).message }, 'refresh token not issued');
      }
      return reply
        .header('cache-control', 'no-store')
        .header('pragma', 'no-cache')
        .send({
          access_token: issued.accessToken,
          token_type: 'Bearer',
          expires_in: issued.expiresIn,
          scope: scopes.join(' '),
          ...(refreshToken ? { refresh_token: refreshToken } : {}),
        });
    },
  );

  // RFC 7009: always 200, whether or not the token existed, so it cannot be probed.
  app.post(
    '/oauth/revoke',
    {
      bodyLimit: DEFAULT_BODY_LIMIT,
      onRequest: checkBasicFirst,
      schema: { summary: 'Revoke a refresh token (RFC 7009)', tags: ['oauth'] },
    },
    async (request, reply) => {
      request.auditInfo = { action: 'revoke' };
      const body = (request.body && typeof request.body === 'object' ? request.body : {}) as Record<
        string,
        unknown
      >;
      const config = ctx.config.current();
      const creds = clientCredentials(request, body);
      const tenant =
        config && creds && creds !== 'ambiguous' ? await authenticateClient(request, creds) : undefined;
      if (!tenant || 'retryAfterSeconds' in tenant)
        return oauthError(ctx, request, reply, 401, 'invalid_client', 'Client authentication failed');
      const token = formValue(body, 'token');
      if (token) await ctx.refreshTokens.revoke(token, tenant.clientId);
      return reply.code(200).header('cache-control', 'no-store').send({});
    },
  );

  app.get(
    '/.well-known/jwks.json',
    { schema: { summary: 'Token signing keys', tags: ['oauth'] } },
    async (_req, reply) => reply.header('cache-control', 'public, max-age=300').send(ctx.signingKeys().jwks),
  );

  app.get(
    '/.well-known/oauth-authorization-server',
    { schema: { summary: 'RFC 8414 authorization server metadata', tags: ['oauth'] } },
    async () => ({
      issuer: ctx.issuer,
      token_endpoint: `${ctx.publicUrl}${API_ROUTES.token}`,
      revocation_endpoint: `${ctx.publicUrl}/oauth/revoke`,
      jwks_uri: `${ctx.publicUrl}/.well-known/jwks.json`,
      grant_types_supported: ['client_credentials', 'refresh_token'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      token_endpoint_auth_signing_alg_values_supported: ['ES256'],
      response_types_supported: ['token'],
      // No scopes_supported: listing `process:<type>:<op>` would show every tenant's types to
      // anyone. A client learns its own from the token response or GET /api/stargate/process-types.
    }),
  );
}
