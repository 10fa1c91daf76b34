// Writes the published contract from the schemas in src/api (run after `tsc -b`):
//   schemas/<name>.schema.json   one JSON Schema per body
//   openapi/stargate-api.json    the OpenAPI 3.1 document generated from them
// `npm run generate -w @stargate/contracts`; contract-files.test.ts fails when they are stale.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildOpenApiDocument, contractFiles } from '../dist/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
for (const [path, content] of Object.entries(contractFiles())) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
}
console.log(`contract ${buildOpenApiDocument().info.version} written`);
