import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth.js';

const nested = (levels: number) => Buffer.from(`${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`);

describe('JSON nesting depth', () => {
  it('allows the limit and refuses one level more', () => {
    expect(nestsDeeperThan(nested(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(nestsDeeperThan(nested(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ s: `\\"${'['.repeat(500)}`, t: '{'.repeat(500) });
    expect(nestsDeeperThan(Buffer.from(text), 3)).toBe(false);
  });

  it('wide documents are fine', () => {
    expect(nestsDeeperThan(Buffer.from(JSON.stringify({ items: Array(10_000).fill([{}]) })), 4)).toBe(false);
  });
});
