/**
 * The product build (`tsc -b tsconfig.build.json`: what the Dockerfile compiles into the image
 * and the SDK package is made from) holds product code only: each package's tsconfig.build.json
 * leaves out its tests and src/testing/, and no product file imports one of them (TypeScript
 * would compile an imported file into dist/ although the config excludes it).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../../', import.meta.url).pathname;
const PRODUCT = ['contracts', 'telemetry', 'gateway', 'server', 'client-sdk', 'operator'];
const TEST_CODE = /(?:\.test\.ts$|\/src\/testing\/)/;
const RELATIVE_IMPORT = /(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;

function productFiles(pkg: string): string[] {
  const path = join(ROOT, pkg, 'tsconfig.build.json');
  const { config, error } = ts.readConfigFile(path, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, dirname(path), undefined, path);
  if (parsed.errors.length > 0)
    throw new Error(
      parsed.errors.map((e) => ts.flattenDiagnosticMessageText(e.messageText, '\n')).join('\n'),
    );
  return parsed.fileNames;
}

describe('the product build', () => {
  it('builds every product package', () => {
    const { config } = ts.readConfigFile(join(ROOT, 'tsconfig.build.json'), ts.sys.readFile);
    const built = (config.references as { path: string }[]).map((r) => r.path);
    expect(built.sort()).toEqual(PRODUCT.map((p) => `${p}/tsconfig.build.json`).sort());
  });

  it.each(PRODUCT)('of %s compiles no test and no test helper', (pkg) => {
    const files = productFiles(pkg).map((f) => relative(ROOT, f));
    expect(files.length).toBeGreaterThan(0);
    expect(files.filter((f) => TEST_CODE.test(`/${f}`))).toEqual([]);
  });

  it.each(PRODUCT)('of %s: no product file imports a test or a test helper', (pkg) => {
    const offenders: string[] = [];
    for (const file of productFiles(pkg)) {
      const text = readFileSync(file, 'utf8');
      for (const [, spec] of text.matchAll(RELATIVE_IMPORT)) {
        const target = resolve(dirname(file), spec ?? '').replace(/\.js$/, '.ts');
        if (TEST_CODE.test(target)) offenders.push(`${relative(ROOT, file)} -> ${spec}`);
      }
      if (/from\s*['"]@stargate\/testkit['"]/.test(text))
        offenders.push(`${relative(ROOT, file)} -> testkit`);
    }
    expect(offenders).toEqual([]);
  });
});
