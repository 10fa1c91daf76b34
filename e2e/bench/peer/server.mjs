/**
 * The hand-built peer of the gateway's status read, for `make bench`: what a team would write
 * in an afternoon from well-kept fastify plugins, configured as their READMEs suggest.
 *
 *   GET /api/stargate/processes/:id
 *     @fastify/jwt       ES256 signature + issuer/audience/exp check of the bearer token
 *     @fastify/rate-limit its Redis store, one budget per tenant (the token's `tid`), after auth
 *     ioredis            one GET of the process document, answered as JSON
 *
 * Env: PORT, REDIS_URL, PUBLIC_KEY_PEM (SPKI), ISSUER, AUDIENCE, KEY_PREFIX,
 * JWT_CACHE (a number: fast-jwt's verified-token cache size; unset = the plugin's default, off).
 */
import fastifyJwt from '@fastify/jwt';
import rateLimit from '@fastify/rate-limit';
import Fastify from 'fastify';
import { Redis } from 'ioredis';

const env = process.env;
const redis = new Redis(env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
  // The rate-limit README's advice for a Redis store.
  connectTimeout: 500,
  maxRetriesPerRequest: 1,
});
const prefix = env.KEY_PREFIX ?? 'peer';

const app = Fastify({ logger: false });
await app.register(fastifyJwt, {
  secret: { public: env.PUBLIC_KEY_PEM ?? '' },
  verify: {
    algorithms: ['ES256'],
    allowedIss: env.ISSUER,
    allowedAud: env.AUDIENCE,
    ...(env.JWT_CACHE ? { cache: Number(env.JWT_CACHE) } : {}),
  },
});
await app.register(rateLimit, {
  global: true,
  // Runs after the authentication hook below, so the budget is the tenant's, not the IP's.
  hook: 'preHandler',
  max: 1_000_000,
  timeWindow: '1 minute',
  redis,
  nameSpace: `${prefix}:rl:`,
  keyGenerator: (request) => request.user?.tid ?? request.ip,
});
app.addHook('onRequest', async (request, reply) => {
  try {
    await request.jwtVerify();
  } catch {
    return reply.code(401).send({ error: 'invalid_token' });
  }
});

app.get('/api/stargate/processes/:id', async (request, reply) => {
  const raw = await redis.get(`${prefix}:p:${request.user.tid}:${request.params.id}`);
  if (!raw) return reply.code(404).send({ error: 'not found' });
  return reply.header('content-type', 'application/json; charset=utf-8').send(raw);
});

await app.listen({ host: '127.0.0.1', port: Number(env.PORT ?? 0) });
const stop = () => {
  app.close().then(() => {
    redis.disconnect();
    process.exit(0);
  });
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
