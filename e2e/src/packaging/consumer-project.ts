/**
 * The SDK as a customer gets it: the package built and packed from this repository, installed
 * from its tarball into a temporary project outside the repository (a copy of e2e/consumer/).
 */
import { spawn } from 'node:child_process';
import { cp, lstat, mkdtemp, readdir, readFile, realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/stack.js';

export interface RunResult {
  code: number | string;
  stdout: string;
  stderr: string;
}

/**
 * The environment of a command run as a customer would: without the `npm_*` variables of the
 * npm that started the tests (they would point npm at this repository's workspace).
 */
export function customerEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.toLowerCase().startsWith('npm_')) env[k] = v;
  return { ...env, ...extra };
}

export function run(
  command: string,
  args: string[],
  opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? customerEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 240_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code: code ?? signal ?? -1, stdout, stderr }));
  });
}

/** npm's report of one packed tarball (`npm pack --json`). */
export interface PackReport {
  name: string;
  version: string;
  filename: string;
  path: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string; size: number; mode: number }[];
}

/** Builds the publishable SDK (client-sdk/scripts/build-package.mjs) and packs it into `dir`. */
export async function packSdk(dir: string): Promise<PackReport> {
  const res = await run(process.execPath, ['client-sdk/scripts/build-package.mjs', '--pack', dir], {
    cwd: REPO_ROOT,
    env: customerEnv(),
  });
  if (res.code !== 0) throw new Error(`build-package failed (${res.code}):\n${res.stderr}`);
  return JSON.parse(res.stdout) as PackReport;
}

async function repoVersion(pkg: string): Promise<string> {
  const manifest = JSON.parse(await readFile(join(REPO_ROOT, 'node_modules', pkg, 'package.json'), 'utf8'));
  return manifest.version as string;
}

/**
 * A copy of e2e/consumer/ in a fresh temporary folder, with the SDK tarball installed by
 * `npm install` (third-party packages from the npm cache or registry) and the TypeScript and
 * Node typings a customer's project would have, at the versions this repository uses.
 */
export async function consumerProject(tarball: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'stargate-consumer-'));
  const source = join(REPO_ROOT, 'e2e', 'consumer');
  for (const entry of ['package.json', 'tsconfig.json', 'src'])
    await cp(join(source, entry), join(dir, entry), { recursive: true });
  const res = await run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--loglevel=error',
      tarball,
      `typescript@${await repoVersion('typescript')}`,
      `@types/node@${await repoVersion('@types/node')}`,
    ],
    { cwd: dir },
  );
  if (res.code !== 0) throw new Error(`npm install in ${dir} failed (${res.code}):\n${res.stderr}`);
  return dir;
}

/** Every symbolic link under `dir` whose target lies inside this repository. */
export async function linksIntoRepo(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d)) {
      const path = join(d, entry);
      const st = await lstat(path);
      if (st.isSymbolicLink()) {
        const target = await realpath(path).catch(() => '');
        if (target.startsWith(`${REPO_ROOT}/`)) found.push(`${path} -> ${target}`);
      } else if (st.isDirectory()) {
        await walk(path);
      }
    }
  };
  await walk(dir);
  return found;
}
