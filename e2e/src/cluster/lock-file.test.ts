/**
 * `npm ci` (the Makefile's install and the Dockerfile's) refuses a lock file that lacks an
 * optional dependency of some package, even one for another platform: a lock written on one
 * machine must still install on Linux glibc/musl (x64, arm64) and macOS. npm drops those
 * entries when the lock is rewritten from a node_modules that only holds this platform's
 * binaries; regenerate with `npm install --package-lock-only` (docs/development.md).
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

interface LockEntry {
  version?: string;
  optionalDependencies?: Record<string, string>;
  os?: string[];
  cpu?: string[];
  libc?: string[];
}
interface Lock {
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
}

const lock = async (): Promise<Lock> =>
  JSON.parse(await readFile(new URL('../../../package-lock.json', import.meta.url), 'utf8')) as Lock;

/** Where Node would resolve `name` from the package at `from` (a lock key), if it is in the lock. */
function resolve(packages: Lock['packages'], from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const key = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (packages[key]) return key;
    if (!dir) return undefined;
    const at = dir.lastIndexOf('node_modules/');
    dir = at <= 0 ? '' : dir.slice(0, at - 1);
  }
}

describe('package-lock.json', () => {
  it('is a v3 lock file', async () => {
    expect((await lock()).lockfileVersion).toBe(3);
  });

  it("records every package's optional dependencies, for all platforms (else `npm ci` fails there)", async () => {
    const { packages } = await lock();
    const missing: string[] = [];
    for (const [key, entry] of Object.entries(packages))
      for (const dep of Object.keys(entry.optionalDependencies ?? {}))
        if (!resolve(packages, key, dep))
          missing.push(`${dep} (optional dependency of ${key || 'the root'})`);
    expect(missing).toEqual([]);
  });

  it("holds Biome's binary for Linux glibc and musl on x64 and arm64, and for macOS", async () => {
    const { packages } = await lock();
    const biome = packages['node_modules/@biomejs/biome']?.version;
    expect(biome).toBeDefined();
    for (const platform of [
      'linux-x64',
      'linux-x64-musl',
      'linux-arm64',
      'linux-arm64-musl',
      'darwin-x64',
      'darwin-arm64',
    ])
      expect(packages[`node_modules/@biomejs/cli-${platform}`]?.version, platform).toBe(biome);
  });
});
