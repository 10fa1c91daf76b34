/**
 * The runtime packages (gateway, server, client-sdk, operator) are peers: none depends on
 * another, in package.json, in tsconfig references or in an import. Tests and benches that
 * need two of them live in e2e/. Below them: contracts and telemetry (product code) and
 * testkit (test helpers, so only ever a devDependency).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../../', import.meta.url).pathname;
const RUNTIMES = ['gateway', 'server', 'client-sdk', 'operator'];
const RUNTIME_NAMES = RUNTIMES.map((p) => `@stargate/${p}`);

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const json = async <T>(path: string): Promise<T> => JSON.parse(await readFile(join(ROOT, path), 'utf8')) as T;

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, dir), { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile() && /\.(?:ts|mts|cts|js|mjs|cjs)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .filter((f) => !/\/(?:node_modules|dist|build)\//.test(f.slice(ROOT.length)));
}

describe('arrows between runtime packages', () => {
  it.each(RUNTIMES)('%s names no other runtime package in package.json', async (pkg) => {
    const m = await json<Manifest>(`${pkg}/package.json`);
    const named = [m.dependencies, m.devDependencies, m.peerDependencies, m.optionalDependencies]
      .flatMap((deps) => Object.keys(deps ?? {}))
      .filter((n) => RUNTIME_NAMES.includes(n));
    expect(named).toEqual([]);
  });

  it.each(RUNTIMES)('%s uses the testkit only as a devDependency', async (pkg) => {
    const testkit = (await json<Manifest>('testkit/package.json')).name;
    const m = await json<Manifest>(`${pkg}/package.json`);
    expect(Object.keys(m.dependencies ?? {})).not.toContain(testkit);
  });

  it.each(RUNTIMES)('%s references no other runtime package in its tsconfig files', async (pkg) => {
    const configs = (await readdir(join(ROOT, pkg))).filter((f) => /^tsconfig.*\.json$/.test(f));
    expect(configs.length).toBeGreaterThan(0);
    for (const config of configs) {
      const { references = [] } = await json<{ references?: { path: string }[] }>(`${pkg}/${config}`);
      const named = references.map((r) => r.path.replace(/^\.\.\//, '')).filter((p) => RUNTIMES.includes(p));
      expect(named, `${pkg}/${config}`).toEqual([]);
    }
  });

  it.each(RUNTIMES)('no file of %s imports another runtime package', async (pkg) => {
    const others = RUNTIMES.filter((p) => p !== pkg);
    const pattern = new RegExp(
      `(?:from|import|require)\\s*\\(?\\s*['"](?:@stargate/(?:${others.join('|')})|(?:\\.\\./)+(?:${others.join('|')})/)`,
    );
    const offenders: string[] = [];
    for (const file of await sourceFiles(pkg)) {
      if (pattern.test(await readFile(file, 'utf8'))) offenders.push(file.slice(ROOT.length));
    }
    expect(offenders).toEqual([]);
  });
});
