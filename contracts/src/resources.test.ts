import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  type AnyFieldEntry,
  PROCESS_TYPE_SPEC_FIELDS,
  PROCESS_TYPE_STATUS_FIELDS,
  TENANT_SPEC_FIELDS,
  TENANT_STATUS_FIELDS,
} from './resource-fields.js';
import { API_GROUP, API_VERSION } from './resources.js';

/*
 * The TypeScript types of resources.ts against the CRDs the API server enforces. The field
 * tables are tied to the types by the compiler (resource-fields.ts); here they are compared
 * with the OpenAPI schemas of crds/*.yaml, recursively: the same fields, the same required
 * ones, the same JSON kinds and enums, nested objects and arrays of objects alike.
 */

interface OpenApiSchema {
  type?: string;
  required?: string[];
  enum?: unknown[];
  properties?: Record<string, OpenApiSchema>;
  items?: OpenApiSchema;
  additionalProperties?: unknown;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

function crd(file: string): { kind: string; schema: OpenApiSchema } {
  const doc = parse(readFileSync(new URL(`../../crds/${file}`, import.meta.url), 'utf8')) as {
    spec: {
      group: string;
      names: { kind: string };
      versions: { name: string; schema: { openAPIV3Schema: OpenApiSchema } }[];
    };
  };
  expect(doc.spec.group).toBe(API_GROUP);
  const version = doc.spec.versions.find((v) => v.name === API_VERSION);
  if (!version) throw new Error(`${file} has no version ${API_VERSION}`);
  return { kind: doc.spec.names.kind, schema: version.schema.openAPIV3Schema };
}

/** Every difference between a field table and an object schema, as `path: what` lines. */
function drift(
  path: string,
  table: Readonly<Record<string, AnyFieldEntry>>,
  schema: OpenApiSchema,
): string[] {
  const out: string[] = [];
  const props = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  for (const name of Object.keys(props))
    if (!(name in table)) out.push(`${path}.${name}: in the CRD, not in the TypeScript type`);
  for (const [name, entry] of Object.entries(table)) {
    const at = `${path}.${name}`;
    const prop = props[name];
    if (!prop) {
      out.push(`${at}: in the TypeScript type, not in the CRD`);
      continue;
    }
    if (entry.required !== required.has(name))
      out.push(`${at}: ${entry.required ? 'required' : 'optional'} in TypeScript, not in the CRD`);
    const kinds = entry.type === 'integer' ? ['integer', 'number'] : [entry.type];
    if (!kinds.includes(prop.type ?? ''))
      out.push(`${at}: ${entry.type} in TypeScript, ${prop.type} in the CRD`);
    const values = prop.type === 'array' ? prop.items : prop;
    const crdEnum = [...(values?.enum ?? [])].map(String).sort();
    const tsEnum = Object.keys(entry.enum ?? {}).sort();
    if (crdEnum.join(',') !== tsEnum.join(','))
      out.push(`${at}: enum [${tsEnum}] in TypeScript, [${crdEnum}] in the CRD`);
    const nested = entry.fields ?? entry.items;
    const nestedSchema = entry.items ? prop.items : prop;
    if (nested && nestedSchema) out.push(...drift(at, nested, nestedSchema));
    else if (values?.properties)
      out.push(`${at}: the CRD describes fields the TypeScript type leaves open (a map or unknown)`);
  }
  return out;
}

describe.each([
  { file: 'tenant.yaml', kind: 'Tenant', spec: TENANT_SPEC_FIELDS, status: TENANT_STATUS_FIELDS },
  {
    file: 'processtype.yaml',
    kind: 'ProcessType',
    spec: PROCESS_TYPE_SPEC_FIELDS,
    status: PROCESS_TYPE_STATUS_FIELDS,
  },
])('$kind: resources.ts matches crds/$file', ({ file, kind, spec, status }) => {
  const { kind: crdKind, schema } = crd(file);

  it('has the kind and a required spec', () => {
    expect(crdKind).toBe(kind);
    expect(schema.required).toContain('spec');
  });

  it('has the same spec fields, required fields, kinds and enums', () => {
    expect(drift('spec', spec, schema.properties?.spec ?? {})).toEqual([]);
  });

  it('has the same status fields, required fields, kinds and enums', () => {
    expect(drift('status', status, schema.properties?.status ?? {})).toEqual([]);
  });
});

describe('the drift check', () => {
  const table = {
    a: { type: 'string', required: true, enum: { x: true, y: true } },
    b: { type: 'object', required: false, fields: { c: { type: 'integer', required: false } } },
  } as const satisfies Record<string, AnyFieldEntry>;
  const same: OpenApiSchema = {
    required: ['a'],
    properties: {
      a: { type: 'string', enum: ['x', 'y'] },
      b: { type: 'object', properties: { c: { type: 'integer' } } },
    },
  };

  it('finds nothing when table and schema agree', () => {
    expect(drift('spec', table, same)).toEqual([]);
  });

  it('names a field added, dropped, made optional, retyped or re-enumerated on one side', () => {
    const changed: OpenApiSchema = {
      required: [],
      properties: {
        a: { type: 'integer', enum: ['x'] },
        b: { type: 'object', properties: { d: { type: 'string' } } },
      },
    };
    expect(drift('spec', table, changed)).toEqual([
      'spec.a: required in TypeScript, not in the CRD',
      'spec.a: string in TypeScript, integer in the CRD',
      'spec.a: enum [x,y] in TypeScript, [x] in the CRD',
      'spec.b.d: in the CRD, not in the TypeScript type',
      'spec.b.c: in the TypeScript type, not in the CRD',
    ]);
  });
});
