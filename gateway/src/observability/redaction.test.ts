import { describe, expect, it } from 'vitest';
import { redactSensitive } from './logger.js';

describe('redactSensitive', () => {
  it('replaces the values at the pointers in a copy', () => {
    const data = { card: { number: '4111', holder: 'J' }, list: ['a', 'b'] };
    expect(redactSensitive(data, ['/card/number', '/list/1', '/missing/x'])).toEqual({
      card: { number: '[REDACTED]', holder: 'J' },
      list: ['a', '[REDACTED]'],
    });
    expect(data.card.number).toBe('4111');
  });

  it('never walks into prototypes, whatever pointers a ProcessType author writes', () => {
    const before = Object.prototype.toString;
    const out = redactSensitive({ a: 1 }, [
      '/__proto__/toString',
      '/constructor/prototype/toString',
      '/toString',
      '/hasOwnProperty',
    ]) as Record<string, unknown>;
    expect(Object.prototype.toString).toBe(before);
    expect(Object.hasOwn(out, 'toString')).toBe(false);
    expect(Object.hasOwn(out, 'hasOwnProperty')).toBe(false);
    expect(out).toEqual({ a: 1 });
  });
});
