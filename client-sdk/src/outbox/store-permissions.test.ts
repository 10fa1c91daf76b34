import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from './store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const mode = (path: string) => statSync(path).mode & 0o777;

describe('the SDK database on disk (issue 16, Low)', () => {
  it('the database and its WAL files are readable by their owner only, whatever the umask', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdk-perm-'));
    dirs.push(dir);
    const path = join(dir, 'state', 'stargate.db');
    const previous = process.umask(0o022);
    try {
      const store = openStore(path);
      store.enqueue({ idempotencyKey: 'k1', processType: 'order', data: { secret: 1 }, createdAt: 1 });
      expect(mode(path)).toBe(0o600);
      for (const side of [`${path}-wal`, `${path}-shm`]) if (existsSync(side)) expect(mode(side)).toBe(0o600);
      expect(existsSync(`${path}-wal`)).toBe(true);
      store.close();
    } finally {
      process.umask(previous);
    }
  });

  it('an existing world-readable database is narrowed to its owner', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdk-perm-'));
    dirs.push(dir);
    const path = join(dir, 'old.db');
    writeFileSync(path, '', { mode: 0o644 });
    openStore(path).close();
    expect(mode(path)).toBe(0o600);
  });
});
