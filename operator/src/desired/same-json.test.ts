import { describe, expect, it } from 'vitest';
import { sameJson } from './same-json.js';

describe('sameJson', () => {
  it('ignores key order at every level (the API server sorts the keys of stored status)', () => {
    const ours = { conditions: [{ type: 'Ready', status: 'True' }], observedGeneration: 2, clientId: 'a' };
    const stored = { clientId: 'a', conditions: [{ status: 'True', type: 'Ready' }], observedGeneration: 2 };
    expect(sameJson(ours, stored)).toBe(true);
  });

  it('sees changed values, array order and missing keys', () => {
    expect(sameJson({ a: 1 }, { a: 2 })).toBe(false);
    expect(sameJson({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(sameJson({ a: 1, b: 2 }, { a: 1 })).toBe(false);
    expect(sameJson({ a: 1, b: undefined }, { a: 1 })).toBe(true);
  });
});
