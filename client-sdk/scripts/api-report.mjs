#!/usr/bin/env node
/**
 * The public API of @stargate/client-sdk, checked in:
 *   docs/api/client-sdk.api.md   the API report (API Extractor): every exported name and signature
 *   docs/api/reference/          the API reference in Markdown, generated from the TSDoc comments
 *
 *   node client-sdk/scripts/api-report.mjs            check: exit 1 when either differs from the code
 *   node client-sdk/scripts/api-report.mjs --update   rewrite both (npm run api:update -w client-sdk)
 *
 * A change of the public API thus shows in review as a diff of docs/api/client-sdk.api.md, and
 * an accidental one fails the check (e2e/src/packaging/api-report.test.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { emitDeclarations, extractorConfig, extractorOptions, SDK_DIR } from './build-package.mjs';

const require = createRequire(import.meta.url);
const REPO = resolve(SDK_DIR, '..');
export const REPORT_FILE = join(REPO, 'docs', 'api', 'client-sdk.api.md');
export const REFERENCE_DIR = join(REPO, 'docs', 'api', 'reference');
const MODEL_DIR = join(SDK_DIR, 'build', 'api');

function documenter(outputFolder) {
  const bin = join(
    dirname(require.resolve('@microsoft/api-documenter/package.json')),
    'bin',
    'api-documenter',
  );
  execFileSync(process.execPath, [bin, 'markdown', '-i', MODEL_DIR, '-o', outputFolder], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

function filesOf(dir) {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** Names of reference pages that differ between two folders (added, removed or changed). */
function differingPages(expectedDir, actualDir) {
  const expected = filesOf(expectedDir);
  const actual = filesOf(actualDir);
  const names = new Set([...expected, ...actual]);
  return [...names].filter(
    (name) =>
      !expected.includes(name) ||
      !actual.includes(name) ||
      readFileSync(join(expectedDir, name), 'utf8') !== readFileSync(join(actualDir, name), 'utf8'),
  );
}

/** Returns the problems found (empty when the checked-in API matches the code). */
export async function apiReport({ update }) {
  const { Extractor } = await import('@microsoft/api-extractor');
  rmSync(MODEL_DIR, { recursive: true, force: true });
  mkdirSync(MODEL_DIR, { recursive: true });
  mkdirSync(dirname(REPORT_FILE), { recursive: true });
  emitDeclarations();
  const config = await extractorConfig({ report: true, rollup: false });
  const result = Extractor.invoke(config, extractorOptions(update));
  const problems = [];
  if (result.errorCount > 0) problems.push(`API Extractor reported ${result.errorCount} error(s)`);
  if (!update && result.apiReportChanged)
    problems.push(`${relative(REPO, REPORT_FILE)} differs from the code's public API`);
  if (update) {
    documenter(REFERENCE_DIR);
  } else {
    const fresh = join(SDK_DIR, 'build', 'api-reference');
    documenter(fresh);
    const pages = differingPages(REFERENCE_DIR, fresh);
    if (pages.length > 0)
      problems.push(
        `${relative(REPO, REFERENCE_DIR)} is out of date (${pages.length} page(s), e.g. ${pages.slice(0, 3).join(', ')})`,
      );
  }
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { update: { type: 'boolean', default: false } } });
  const problems = await apiReport({ update: values.update });
  if (values.update && problems.length > 0) {
    for (const p of problems) process.stderr.write(`api-report: ${p}\n`);
    process.exit(1);
  } else if (values.update) {
    process.stderr.write(
      `api-report: wrote ${relative(REPO, REPORT_FILE)} and ${relative(REPO, REFERENCE_DIR)}/\n`,
    );
  } else if (problems.length > 0) {
    for (const p of problems) process.stderr.write(`api-report: ${p}\n`);
    process.stderr.write(
      'api-report: if the change is intended, run `npm run api:update -w client-sdk` and commit docs/api/\n',
    );
    process.exit(1);
  } else {
    process.stderr.write('api-report: public API unchanged\n');
  }
}
