#!/usr/bin/env node
// Lists (or runs) the tests that need no service: every `*/src/**/*.test.ts` file except those
// that reach a service. A file needs services when it, or a local module it imports (followed
// through relative imports), imports @stargate/testkit or the e2e support stack, reads a
// STARGATE_*_URL variable, or starts a service binary of its own (e.g. a private redis-server). Product modules that read such a variable count too, so the choice
// errs on the side of leaving a test to `make test`.
//
//   node tools/unit-tests.mjs           run them with vitest (make unit)
//   node tools/unit-tests.mjs --list    print them, one a line
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SERVICE_MARK = new RegExp(
  [
    '@stargate/testkit',
    '/support/',
    'STARGATE_[A-Z0-9_]*_URL',
    `(?:spawn|spawnSync|execFile|execFileSync)\\(\\s*['"](?:redis-server|rabbitmq-server|mongod|etcd|kube-apiserver|helm|kubectl|kind)['"]`,
  ].join('|'),
);
const RELATIVE_IMPORT = /(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;

function testFiles() {
  const out = spawnSync(
    'git',
    ['ls-files', '-co', '--exclude-standard', '*/src/**/*.test.ts', '*/src/*.test.ts'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  if (out.status !== 0) throw new Error(`git ls-files failed: ${out.stderr}`);
  return [...new Set(out.stdout.split('\n').filter(Boolean))].filter((f) => existsSync(join(ROOT, f))).sort();
}

// A relative specifier as written in the sources (`./x.js`) names the `.ts` file beside it.
function resolveLocal(from, spec) {
  const base = resolve(dirname(from), spec);
  for (const candidate of [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, join(base, 'index.ts')])
    if (candidate.endsWith('.ts') && existsSync(candidate)) return candidate;
  return undefined;
}

const verdicts = new Map();
function needsServices(file, seen = new Set()) {
  if (verdicts.has(file)) return verdicts.get(file);
  if (seen.has(file)) return false;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  let needs = SERVICE_MARK.test(text);
  for (const m of text.matchAll(RELATIVE_IMPORT)) {
    if (needs) break;
    const dep = resolveLocal(file, m[1]);
    if (dep && needsServices(dep, seen)) needs = true;
  }
  verdicts.set(file, needs);
  return needs;
}

const unit = testFiles().filter((f) => !needsServices(join(ROOT, f)));
if (process.argv.includes('--list')) {
  for (const f of unit) console.log(f);
} else {
  const env = { ...process.env };
  // Prove the point: no service address reaches the tests.
  for (const k of Object.keys(env)) if (/^STARGATE_.*_URL$/.test(k)) delete env[k];
  const run = spawnSync(
    'npx',
    ['vitest', 'run', ...process.argv.slice(2), ...unit.map((f) => relative(ROOT, join(ROOT, f)))],
    {
      cwd: ROOT,
      stdio: 'inherit',
      env,
    },
  );
  process.exit(run.status ?? 1);
}
