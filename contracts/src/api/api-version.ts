/**
 * The version of the public API contract (the bodies in `wire-schemas.ts`). Semantic
 * versioning: a new optional field is a minor change, anything a client could trip over
 * (a field removed, renamed, retyped or newly required) a major one.
 */
export const PUBLIC_API_VERSION = '1.0.0';
