import { describe, expect, it } from 'vitest';
import { processIdFor } from './process-id.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('process ids', () => {
  it('names the same process for the same tenant and idempotency key, and another for anything else', () => {
    const a = processIdFor('acme', 'key-1');
    expect(a).toMatch(UUID);
    expect(processIdFor('acme', 'key-1')).toBe(a);
    expect(processIdFor('acme', 'key-2')).not.toBe(a);
    expect(processIdFor('globex', 'key-1')).not.toBe(a);
  });

  it('is random without a key', () => {
    expect(processIdFor('acme', undefined)).not.toBe(processIdFor('acme', undefined));
  });
});
