import { buildOpenApiDocument } from './openapi.js';
import { WIRE_SCHEMAS } from './wire-schemas.js';

const kebab = (name: string) => name.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();

/** The published contract files (path under contracts/ → content), as `npm run generate` writes them. */
export function contractFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [name, schema] of Object.entries(WIRE_SCHEMAS)) {
    files[`schemas/${kebab(name)}.schema.json`] =
      `${JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', ...schema }, null, 2)}\n`;
  }
  files['openapi/stargate-api.json'] = `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
  return files;
}
