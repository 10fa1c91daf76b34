import { describe, expect, it } from 'vitest';
import { formatTraceparent, isValidCorrelationId, parsePreferWait, parseTraceparent } from './headers.js';

describe('traceparent', () => {
  it('parses a valid header and formats it back', () => {
    const tp = parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    expect(tp).toMatchObject({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentId: '00f067aa0ba902b7',
      sampled: true,
    });
    expect(formatTraceparent(tp!)).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
  });

  it.each([
    ['all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['all-zero parent id', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
    ['version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['short trace id', '00-4bf92f3577b34da6a3ce929d0e0e47-00f067aa0ba902b7-01'],
    ['trailing data on version 00', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra'],
    ['not a string', 42],
  ])('rejects %s', (_name, header) => {
    expect(parseTraceparent(header)).toBeUndefined();
  });

  it('accepts future versions with extra fields', () => {
    expect(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-abc')?.sampled).toBe(
      false,
    );
  });
});

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
