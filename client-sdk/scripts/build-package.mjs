#!/usr/bin/env node
/**
 * Builds the publishable @stargate/client-sdk into client-sdk/build/package/ and, with
 * `--pack <dir>`, packs it into <dir> (prints npm's JSON pack report on stdout).
 *
 *   node client-sdk/scripts/build-package.mjs --pack client-sdk/build
 *
 * The published package is not the repository folder: the repository's package.json is the
 * development manifest (workspace dependencies, the repo-only `stargate-source` export
 * condition, test dependencies). This script
 *   1. compiles the product code only (tsconfig.build.json: no tests, no src/testing/) into
 *      dist/, for its declarations,
 *   2. bundles src/index.ts and src/cli.ts with Rolldown; the few wire types and constants the
 *      SDK takes from the private workspace package @stargate/contracts are bundled in, every
 *      third-party dependency stays an import,
 *   3. rolls the declarations up into one dist/index.d.ts with API Extractor (the contracts
 *      types are inlined, so the package needs no @stargate/contracts at all),
 *   4. writes the published package.json (derived from the development one), README and
 *      CHANGELOG, and checks that the bundle imports nothing but Node built-ins and the
 *      declared dependencies.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
export const SDK_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BUILD_DIR = join(SDK_DIR, 'build');
const OUT_DIR = join(BUILD_DIR, 'package');
/** Workspace packages compiled into the bundle instead of being dependencies. */
export const BUNDLED_WORKSPACE_PACKAGES = ['@stargate/contracts'];
const REPO_ONLY_CONDITION = 'stargate-source';

function log(message) {
  process.stderr.write(`build-package: ${message}\n`);
}

/** Step 1: the product build, for its declarations (also builds contracts', a reference). */
export function emitDeclarations() {
  const tsc = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-b', join(SDK_DIR, 'tsconfig.build.json')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

function withoutCondition(exportsField) {
  if (typeof exportsField !== 'object' || exportsField === null) return exportsField;
  const out = {};
  for (const [key, value] of Object.entries(exportsField))
    if (key !== REPO_ONLY_CONDITION) out[key] = withoutCondition(value);
  return out;
}

/** The published manifest: the development one less what only makes sense in this repository. */
export function publishedManifest(dev) {
  const { private: _private, devDependencies: _dev, scripts: _scripts, ...manifest } = dev;
  manifest.exports = withoutCondition(dev.exports);
  const dependencies = { ...dev.dependencies };
  for (const name of BUNDLED_WORKSPACE_PACKAGES) delete dependencies[name];
  const leftover = Object.keys(dependencies).filter((name) => name.startsWith('@stargate/'));
  if (leftover.length > 0) throw new Error(`unpublished workspace dependencies left: ${leftover.join(', ')}`);
  manifest.dependencies = dependencies;
  return manifest;
}

/** Step 2: the JavaScript bundle. */
async function bundle(manifest) {
  const { rolldown } = await import('rolldown');
  const allowed = new Set(Object.keys(manifest.dependencies));
  const isBuiltin = (id) => id.startsWith('node:') || builtinModules.includes(id);
  const external = (id) => {
    if (id.startsWith('.') || id.startsWith('/') || id.startsWith('\0')) return false;
    if (BUNDLED_WORKSPACE_PACKAGES.some((p) => id === p || id.startsWith(`${p}/`))) return false;
    return true;
  };
  const build = await rolldown({
    input: { index: join(SDK_DIR, 'src/index.ts'), cli: join(SDK_DIR, 'src/cli.ts') },
    // The bundle names its source modules in comments relative to this: the same bytes
    // whichever folder the build is started from.
    cwd: SDK_DIR,
    platform: 'node',
    tsconfig: join(SDK_DIR, 'tsconfig.build.json'),
    external,
    // Contracts from their TypeScript sources, as the repository's tests see them.
    resolve: { conditionNames: [REPO_ONLY_CONDITION, 'import', 'node', 'default'] },
    // Contracts' modules only declare things: whatever the SDK does not use (the gateway's
    // config schema and its Ajv compiler, AMQP and Redis names) is left out.
    treeshake: { moduleSideEffects: (id) => !id.includes(`${join('contracts', 'src')}`) },
    onLog(level, entry, handler) {
      if (level === 'warn') throw new Error(`rolldown: ${entry.message}`);
      handler(level, entry);
    },
  });
  const { output } = await build.write({
    dir: join(OUT_DIR, 'dist'),
    format: 'esm',
    entryFileNames: '[name].js',
    chunkFileNames: '[name].js',
    sourcemap: false,
  });
  await build.close();
  const imports = new Set();
  for (const chunk of output) if (chunk.type === 'chunk') for (const id of chunk.imports) imports.add(id);
  const strangers = [...imports].filter(
    (id) =>
      !id.startsWith('.') && !output.some((c) => c.fileName === id) && !isBuiltin(id) && !allowed.has(id),
  );
  if (strangers.length > 0)
    throw new Error(`the bundle imports packages that are not dependencies: ${strangers.join(', ')}`);
  return output.map((c) => c.fileName);
}

/** The API Extractor configuration (api-extractor.json) with the report and the rollup on or off. */
export async function extractorConfig({ report, rollup }) {
  const { ExtractorConfig } = await import('@microsoft/api-extractor');
  const file = join(SDK_DIR, 'api-extractor.json');
  const configObject = ExtractorConfig.loadFile(file);
  if (!report) configObject.apiReport = { ...configObject.apiReport, enabled: false };
  if (!rollup) {
    configObject.dtsRollup = { ...configObject.dtsRollup, enabled: false };
    configObject.docModel = { ...configObject.docModel, enabled: true };
  } else {
    configObject.docModel = { ...configObject.docModel, enabled: false };
  }
  return ExtractorConfig.prepare({
    configObject,
    configObjectFullPath: file,
    packageJsonFullPath: join(SDK_DIR, 'package.json'),
  });
}

/**
 * Extractor.invoke options: its messages go to stderr (stdout carries the pack report), with
 * the level and file position API Extractor gives them.
 */
export function extractorOptions(localBuild) {
  return {
    localBuild,
    showVerboseMessages: false,
    messageCallback(message) {
      message.handled = true;
      if (message.logLevel === 'none' || message.logLevel === 'verbose') return;
      const where = message.sourceFilePath
        ? `${relative(process.cwd(), message.sourceFilePath)}:${message.sourceFileLine}:${message.sourceFileColumn} - `
        : '';
      process.stderr.write(`${message.logLevel}: ${where}${message.text}\n`);
    },
  };
}

/** Step 3: one self-contained dist/index.d.ts. */
async function rollupDeclarations(manifest) {
  const { Extractor } = await import('@microsoft/api-extractor');
  const config = await extractorConfig({ report: false, rollup: true });
  const result = Extractor.invoke(config, extractorOptions(true));
  if (!result.succeeded)
    throw new Error(`API Extractor: ${result.errorCount} error(s), ${result.warningCount} warning(s)`);
  // A customer's compiler must resolve every module the declarations name.
  const dts = readFileSync(join(OUT_DIR, 'dist', 'index.d.ts'), 'utf8');
  const named = [...dts.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
  const packageOf = (id) =>
    id
      .split('/')
      .slice(0, id.startsWith('@') ? 2 : 1)
      .join('/');
  const unresolvable = named.filter(
    (id) => !id.startsWith('node:') && !(packageOf(id) in manifest.dependencies),
  );
  if (unresolvable.length > 0)
    throw new Error(
      `dist/index.d.ts imports modules that are not dependencies: ${[...new Set(unresolvable)].join(', ')}`,
    );
}

export async function buildPackage() {
  const dev = JSON.parse(readFileSync(join(SDK_DIR, 'package.json'), 'utf8'));
  const manifest = publishedManifest(dev);
  rmSync(OUT_DIR, { recursive: true, force: true });
  mkdirSync(OUT_DIR, { recursive: true });
  log('declarations (tsc -b tsconfig.build.json)');
  emitDeclarations();
  log('bundle (rolldown)');
  const files = await bundle(manifest);
  log(`  ${files.join(', ')}`);
  log('declaration rollup (API Extractor)');
  await rollupDeclarations(manifest);
  writeFileSync(join(OUT_DIR, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  for (const doc of ['README.md', 'CHANGELOG.md']) copyFileSync(join(SDK_DIR, doc), join(OUT_DIR, doc));
  log(`package in ${relative(process.cwd(), OUT_DIR) || '.'}`);
  return OUT_DIR;
}

/** `npm pack` of the built package; returns npm's report (files, size, unpackedSize, entryCount). */
export function pack(destination) {
  mkdirSync(destination, { recursive: true });
  const npm = process.env.npm_execpath;
  const args = ['pack', OUT_DIR, '--json', '--pack-destination', destination, '--ignore-scripts'];
  // Not the workspace selection of an `npm run -w client-sdk` that started this script.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_config_workspace')),
  );
  const out = npm
    ? execFileSync(process.execPath, [npm, ...args], { encoding: 'utf8', env })
    : execFileSync('npm', args, { encoding: 'utf8', env });
  const [report] = JSON.parse(out);
  return { ...report, path: join(destination, report.filename) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { pack: { type: 'string' } } });
  await buildPackage();
  if (values.pack !== undefined) {
    const report = pack(resolve(values.pack));
    log(
      `${report.filename}: ${report.entryCount} files, ${report.size} bytes packed, ${report.unpackedSize} unpacked`,
    );
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  }
}
