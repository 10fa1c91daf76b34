import { describe, expect, it } from 'vitest';
import { createRequestValidatorCompiler, FULL_REPORT_MAX_BYTES, MAX_REPORTED } from './request-validator.js';

const schema = {
  type: 'object',
  required: ['items'],
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['sku', 'quantity', 'unitPrice'],
        properties: { sku: { type: 'string' }, quantity: { type: 'integer' }, unitPrice: { type: 'number' } },
      },
    },
  },
};

describe('request validation is capped', () => {
  const validate = createRequestValidatorCompiler()(schema);

  it('a valid document passes', () => {
    expect(validate({ items: [{ sku: 'a', quantity: 1, unitPrice: 1 }] }, 50)).toEqual({ ok: true });
  });

  it('a small body gets every violation counted, at most MAX_REPORTED listed', () => {
    const data = { items: Array.from({ length: 10 }, () => ({})) };
    const result = validate(data, JSON.stringify(data).length);
    expect(result).toMatchObject({ ok: false, errorCount: 30 });
    if (result.ok) throw new Error('unreachable');
    expect(result.errors).toHaveLength(MAX_REPORTED);
    expect(result.errors[0]).toEqual({ path: '/data/items/0', message: 'must have property sku' });
  });

  it('a large body stops at the first violation (40 000 empty items → one error, not 120 000)', () => {
    const data = { items: Array.from({ length: 40_000 }, () => ({})) };
    const started = performance.now();
    const result = validate(data, FULL_REPORT_MAX_BYTES + 1);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(result).toEqual({
      ok: false,
      errors: [{ path: '/data/items/0', message: 'must have property sku' }],
    });
  });

  it('paths and messages are clipped', () => {
    const key = 'k'.repeat(5000);
    const v = createRequestValidatorCompiler()({ type: 'object', additionalProperties: { type: 'integer' } });
    const result = v({ [key]: 'x' }, 6000);
    if (result.ok) throw new Error('expected a violation');
    expect(result.errors[0]!.path.length).toBeLessThanOrEqual(200);
  });
});
