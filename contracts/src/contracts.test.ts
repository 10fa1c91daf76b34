import { describe, expect, it } from 'vitest';
import {
  canTransition,
  createSchemaCompiler,
  DEFAULT_POLLING_HINTS,
  type GatewayConfig,
  generateClientSecret,
  hashClientSecret,
  makeProblem,
  parseScope,
  processQueue,
  redisKeys,
  scopeFor,
  validateGatewayConfig,
  verifyClientSecret,
} from './index.js';

const baseConfig = (): GatewayConfig => ({
  revision: 'r1',
  processTypes: [
    {
      name: 'order',
      requestSchema: { type: 'object', required: ['sku'], properties: { sku: { type: 'string' } } },
      polling: { ...DEFAULT_POLLING_HINTS },
      maxPayloadBytes: 65536,
      timeoutSeconds: 60,
    },
  ],
  tenants: [
    {
      id: 'acme',
      displayName: 'ACME',
      clientId: 'acme-client',
      clientSecretHash: hashClientSecret('s3cret'),
      processTypes: [{ name: 'order', operations: ['submit', 'read'] }],
      rateLimit: { requestsPerMinute: 600, burst: 20 },
      suspended: false,
    },
  ],
});

describe('process states', () => {
  it('allows the lifecycle and forbids leaving a terminal state', () => {
    expect(canTransition('accepted', 'processing')).toBe(true);
    expect(canTransition('processing', 'completed')).toBe(true);
    expect(canTransition('failed', 'processing')).toBe(true);
    expect(canTransition('completed', 'processing')).toBe(false);
    expect(canTransition('cancelled', 'failed')).toBe(false);
  });
});

describe('scopes', () => {
  it('round-trips and rejects malformed scopes', () => {
    expect(parseScope(scopeFor('order', 'submit'))).toEqual({ processType: 'order', operation: 'submit' });
    expect(parseScope('process:order:delete')).toBeUndefined();
    expect(parseScope('process:../x:read')).toBeUndefined();
  });
});

describe('names', () => {
  it('builds queue names and tenant-hash-tagged Redis keys', () => {
    expect(processQueue('order')).toBe('stargate.process.order');
    const keys = redisKeys({ prefix: 'test1' });
    expect(keys.process('acme', 'p1')).toBe('test1:{t:acme}:process:p1');
    expect(keys.idempotency('acme', 'k')).toMatch(/^test1:\{t:acme\}:/);
  });
});

describe('problem+json', () => {
  it('carries the seed fields and the RFC 9457 members', () => {
    const p = makeProblem('RATE_LIMIT_EXCEEDED', 'slow down', { retryAfter: 3, correlationId: 'abcdefgh' });
    expect(p).toMatchObject({
      status: 429,
      error: 'RATE_LIMIT_EXCEEDED',
      message: 'slow down',
      retryAfter: 3,
    });
    expect(p.type).toBe('https://stargate.io/problems/rate-limit-exceeded');
    expect(Number.isNaN(Date.parse(p.timestamp))).toBe(false);
  });
});

describe('client secret hashes', () => {
  it('verifies the right secret only', () => {
    const secret = generateClientSecret();
    const hash = hashClientSecret(secret);
    expect(hash).not.toContain(secret);
    expect(verifyClientSecret(secret, hash)).toBe(true);
    expect(verifyClientSecret(secret + 'x', hash)).toBe(false);
    expect(verifyClientSecret(secret, 'scrypt$garbage')).toBe(false);
  });
});

describe('GatewayConfig validation', () => {
  it('accepts a good document', () => {
    expect(validateGatewayConfig(baseConfig())).toMatchObject({ ok: true });
  });

  it('names the failing path of a bad shape', () => {
    const doc = baseConfig() as unknown as { tenants: { rateLimit: { requestsPerMinute: unknown } }[] };
    doc.tenants[0]!.rateLimit.requestsPerMinute = 'lots';
    const res = validateGatewayConfig(doc);
    expect(res.ok).toBe(false);
    expect(!res.ok && res.errors.join('\n')).toContain('/tenants/0/rateLimit/requestsPerMinute');
  });

  it('refuses references to unknown process types and tenants without credentials', () => {
    const doc = baseConfig();
    doc.tenants[0]!.processTypes.push({ name: 'shipping', operations: ['read'] });
    delete doc.tenants[0]!.clientSecretHash;
    const res = validateGatewayConfig(doc);
    expect(res.ok).toBe(false);
    const text = !res.ok ? res.errors.join('\n') : '';
    expect(text).toContain('unknown process type "shipping"');
    expect(text).toContain('needs clientSecretHash or externalIssuer');
  });
});

describe('process type schemas', () => {
  it('compiles 2020-12 by default and draft-07 when declared, with the same answers', () => {
    const compile = createSchemaCompiler();
    const body = { type: 'object', required: ['sku'], properties: { sku: { type: 'string', minLength: 1 } } };
    for (const schema of [body, { $schema: 'http://json-schema.org/draft-07/schema#', ...body }]) {
      const validate = compile(schema);
      expect(validate({ sku: 'A-1' })).toBe(true);
      expect(validate({ sku: '' })).toBe(false);
    }
  });

  it('refuses an unknown dialect with a message naming the supported ones', () => {
    expect(() => createSchemaCompiler()({ $schema: 'http://json-schema.org/draft-03/schema#' })).toThrow(
      /omit it \(JSON Schema 2020-12\) or use draft-07/,
    );
  });

  it('accepts a GatewayConfig whose request schema declares draft-07', () => {
    const doc = baseConfig();
    doc.processTypes[0]!.requestSchema = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
    };
    expect(validateGatewayConfig(doc)).toMatchObject({ ok: true });
  });
});
