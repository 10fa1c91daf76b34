/**
 * tools/images/minify-dependencies.mjs (the image's build stage runs it on the generated
 * Kubernetes client and OpenTelemetry's semantic conventions): the package keeps exactly what it
 * exports, as ES module and as CommonJS, and its JavaScript gets smaller. Run on a copy of the
 * installed @opentelemetry/semantic-conventions (no dependencies of its own, so the copy loads).
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helm.js';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
// Hoisted to the root (its package.json is not among its exports, so no require.resolve).
const installed = `${REPO_ROOT}node_modules/@opentelemetry/semantic-conventions`;
const script = `${REPO_ROOT}tools/images/minify-dependencies.mjs`;

async function jsBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir, { recursive: true })) {
    if (/\.[cm]?js$/.test(name)) total += (await stat(join(dir, name))).size;
  }
  return total;
}

/** What a module exports, functions by name and arity (their source text changes, by design). */
function exportsOf(mod: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(mod).map(([k, v]) => [k, typeof v === 'function' ? `function ${v.name}/${v.length}` : v]),
  );
}

describe('minify-dependencies', () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('keeps every export of a package (ES module and CommonJS) and shrinks its JavaScript', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'minify-deps-'));
    dirs.push(dir);
    const copy = join(dir, 'semantic-conventions');
    await cp(installed, copy, { recursive: true });
    const before = await jsBytes(copy);

    const { stdout } = await run(process.execPath, [script, copy]);
    expect(stdout).toMatch(/MB of JavaScript -> /);
    expect(await jsBytes(copy)).toBeLessThan(before / 2);

    for (const entry of ['index.mjs', 'index-incubating.mjs']) {
      const original = exportsOf(await import(pathToFileURL(join(installed, 'dist', entry)).href));
      const minified = exportsOf(await import(pathToFileURL(join(copy, 'dist', entry)).href));
      expect(Object.keys(minified).length, entry).toBeGreaterThan(100);
      expect(minified, entry).toEqual(original);
    }
    expect(exportsOf(require(join(copy, 'dist/index-incubating.cjs')))).toEqual(
      exportsOf(require(join(installed, 'dist/index-incubating.cjs'))),
    );
  });

  it('runs in the image build before the prune (rolldown is a dev dependency) and reaches the context', async () => {
    const dockerfile = await readFile(`${REPO_ROOT}Dockerfile`, 'utf8');
    const minify = dockerfile.indexOf(
      'node tools/images/minify-dependencies.mjs node_modules/@kubernetes/client-node',
    );
    expect(minify).toBeGreaterThan(
      dockerfile.indexOf('COPY tools/images/minify-dependencies.mjs tools/images/'),
    );
    expect(minify).toBeLessThan(dockerfile.indexOf('npm prune --omit=dev'));
    const ignore = (await readFile(`${REPO_ROOT}.dockerignore`, 'utf8')).split('\n');
    expect(ignore.indexOf('!tools/images/minify-dependencies.mjs')).toBeGreaterThan(ignore.indexOf('tools'));
  });

  it('refuses a path that is not an installed package', async () => {
    const err = await run(process.execPath, [script, join(tmpdir(), 'no-such-package')]).then(
      () => undefined,
      (e: { stderr?: string }) => e,
    );
    expect(err?.stderr).toContain('not an installed package');
  });
});
