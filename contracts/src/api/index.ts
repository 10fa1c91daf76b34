export * from './api-version.js';
export * from './contract-files.js';
export * from './openapi.js';
export * from './present.js';
export * from './process-id.js';
export * from './validate.js';
export * from './wire-schemas.js';
export type * from './wire-types.js';
