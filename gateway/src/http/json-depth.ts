/**
 * How deeply a JSON text nests, found by one pass over its bytes before it is parsed: a
 * document nesting thousands of levels is refused with a clear 400 instead of overflowing a
 * stack later, or being accepted and then refused forever by MongoDB's 100-level limit.
 */

/** Deepest nesting a request body may have (MongoDB stores at most 100 levels, data sits below the envelope). */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;

/** true when `json` opens more than `max` objects/arrays inside one another (strings are skipped). */
export function nestsDeeperThan(json: Buffer, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > max) return true;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--;
  }
  return false;
}
