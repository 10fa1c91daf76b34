import { describe, expect, it } from 'vitest';
import { isValidCorrelationId, parsePreferWait } from './headers.js';

describe('correlation id', () => {
  it('accepts uuids and refuses header or log injection', () => {
    expect(isValidCorrelationId('0b9d6f0e-3c55-4c55-9a62-4c2e5b0f1f10')).toBe(true);
    expect(isValidCorrelationId('abc\r\nx-evil: 1')).toBe(false);
    expect(isValidCorrelationId('short')).toBe(false);
    expect(isValidCorrelationId('x'.repeat(129))).toBe(false);
  });
});

describe('Prefer: wait', () => {
  it('reads wait=N among other preferences and caps it', () => {
    expect(parsePreferWait('respond-async, wait=10')).toBe(10);
    expect(parsePreferWait('wait=600')).toBe(60);
    expect(parsePreferWait('return=minimal')).toBeUndefined();
    expect(parsePreferWait(undefined)).toBeUndefined();
  });
});
