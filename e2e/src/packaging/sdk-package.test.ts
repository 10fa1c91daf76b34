/**
 * @stargate/client-sdk as a customer installs it: the package is built and packed from this
 * repository, the tarball installed into a temporary project outside it, the customer's code
 * (e2e/consumer/) type-checked strictly and run against a running gateway, and the `stargate`
 * CLI run from the installed package. Also: the checked-in public API (docs/api/) still
 * matches the code.
 *
 * One file on purpose: the API check and the package build write the same build folder
 * (client-sdk/build/), so they must not run in parallel.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, REPO_ROOT, type Stack, startStack } from '../support/stack.js';
import { exampleConfig, orderData, orderTotal } from '../support/system.js';
import {
  consumerProject,
  customerEnv,
  linksIntoRepo,
  type PackReport,
  packSdk,
  run,
} from './consumer-project.js';

/** Budget for the packed tarball; it is ~20 kB today. */
const MAX_PACKED_BYTES = 100_000;
const REQUIRED_FILES = [
  'package.json',
  'README.md',
  'CHANGELOG.md',
  'dist/index.js',
  'dist/index.d.ts',
  'dist/cli.js',
];
/** Product code only: the entry points, the shared chunk(s), the rolled-up declarations, docs. */
const ALLOWED_FILE =
  /^(package\.json|README\.md|CHANGELOG\.md|dist\/[a-z][a-z0-9-]*\.js|dist\/index\.d\.ts)$/;

describe('the public API report', () => {
  it('docs/api/ matches the public API of the code (else: npm run api:update -w client-sdk)', async () => {
    const res = await run(process.execPath, ['client-sdk/scripts/api-report.mjs'], {
      cwd: REPO_ROOT,
      env: customerEnv(),
    });
    expect(res.stderr).toContain('public API unchanged');
    expect(res.code).toBe(0);
  }, 300_000);
});

describe('the SDK installed from its tarball', () => {
  let work: string;
  let report: PackReport;
  let project: string;
  let stack: Stack;
  let cred: { clientId: string; clientSecret: string };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'stargate-pack-'));
    report = await packSdk(join(work, 'tarballs'));
    console.log(
      `packed ${report.filename}: ${report.entryCount} files, ${report.size} bytes packed, ${report.unpackedSize} bytes unpacked`,
    );
    project = await consumerProject(report.path);
    stack = await startStack({ ...(await exampleConfig({ raiseLimits: true })), gateways: 1, workers: 1 });
    const acme = stack.credentials.find((c) => c.tenantId === 'acme');
    if (!acme) throw new Error('the example configuration has no tenant acme');
    cred = acme;
  }, 600_000);

  afterAll(async () => {
    await stack?.close();
    if (project) await rm(project, { recursive: true, force: true });
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('the tarball holds product code only: no tests, test helpers, sources or source maps', () => {
    const paths = report.files.map((f) => f.path).sort();
    expect(paths).toEqual(expect.arrayContaining(REQUIRED_FILES));
    expect(paths.filter((p) => !ALLOWED_FILE.test(p))).toEqual([]);
    expect(report.size).toBeLessThan(MAX_PACKED_BYTES);
  });

  it('its manifest is publishable: no workspace dependency, no repo-only export condition, types first', async () => {
    const text = await readFile(join(project, 'node_modules/@stargate/client-sdk/package.json'), 'utf8');
    const manifest = JSON.parse(text);
    expect(text).not.toContain('stargate-source');
    expect(manifest.private).toBeUndefined();
    expect(manifest.devDependencies).toBeUndefined();
    expect(Object.keys(manifest.dependencies ?? {}).filter((d) => d.startsWith('@stargate/'))).toEqual([]);
    expect(Object.keys(manifest.exports['.'])[0]).toBe('types');
    expect(manifest.type).toBe('module');
    expect(manifest.engines.node).toBeTruthy();
    expect(manifest.license).toBeTruthy();
    expect(manifest.repository.url).toBeTruthy();
    expect(manifest.bin.stargate).toBe('./dist/cli.js');
  });

  it('is installed as a copy: no link into this repository, no @stargate/contracts', async () => {
    expect(await linksIntoRepo(project)).toEqual([]);
    await expect(readFile(join(project, 'node_modules/@stargate/contracts/package.json'))).rejects.toThrow();
  });

  it("the customer's code and the README's quick start type-check (strict, nodenext, no skipLibCheck)", async () => {
    const readme = await readFile(join(project, 'node_modules/@stargate/client-sdk/README.md'), 'utf8');
    const quickStart = /## Quick start\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(quickStart?.split('\n').filter(Boolean).length).toBeLessThanOrEqual(15);
    await writeFile(join(project, 'src', 'readme-quick-start.ts'), quickStart ?? '');
    const res = await run('npx', ['--no-install', 'tsc', '--noEmit', '-p', '.'], { cwd: project });
    expect(res.stdout + res.stderr).toBe('');
    expect(res.code).toBe(0);
  }, 180_000);

  it("the customer's code runs: submit, wait with progress, result, rejection, offline queue, restart and flush", async () => {
    const state = await mkdtemp(join(work, 'state-'));
    const res = await run(process.execPath, ['src/main.ts'], {
      cwd: project,
      env: customerEnv({
        STARGATE_URL: stack.gatewayUrls[0] ?? '',
        STARGATE_CLIENT_ID: cred.clientId,
        STARGATE_CLIENT_SECRET: cred.clientSecret,
        STARGATE_UNREACHABLE_URL: `http://127.0.0.1:${await freePort()}`,
        STARGATE_STATE_DIR: state,
      }),
      timeoutMs: 180_000,
    });
    expect(res.stderr.replace(/.*ExperimentalWarning.*\n|.*--trace-warnings.*\n/g, '')).toBe('');
    expect(res.code).toBe(0);
    const summary = JSON.parse(res.stdout);
    expect(summary.online.status).toBe('completed');
    expect(summary.online.result).toMatchObject({ orderId: 'PO-1', status: 'confirmed', totalAmount: 20 });
    expect(summary.online.progress.length).toBeGreaterThan(0);
    expect(summary.rejected).toEqual({ status: 400, code: 'INVALID_REQUEST' });
    expect(summary.offline).toEqual({
      status: 'queued',
      queueLength: 1,
      remainingAfterFlush: 0,
      resumedStatus: 'completed',
    });
    expect(summary.handler).toMatchObject({
      clientProcessId: 'PO-2',
      status: 'completed',
      result: { orderId: 'PO-2', status: 'confirmed' },
    });
    expect(summary.errorsAreStarGateErrors).toBe(true);
  }, 240_000);

  it('the stargate CLI runs from the installed package: --help, submit --wait, documented exit codes', async () => {
    const home = await mkdtemp(join(work, 'home-'));
    const cliEnv = (secret: string) =>
      customerEnv({
        HOME: home,
        STARGATE_URL: stack.gatewayUrls[0] ?? '',
        STARGATE_CLIENT_ID: cred.clientId,
        STARGATE_CLIENT_SECRET: secret,
        STARGATE_DB: join(home, 'cli.db'),
      });

    const help = await run('npx', ['--no-install', 'stargate', '--help'], { cwd: project, env: cliEnv('') });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: stargate <command>');
    // docs/client-sdk.md shows the --help text verbatim.
    const guide = await readFile(join(REPO_ROOT, 'docs/client-sdk.md'), 'utf8');
    const documented = /```text\n(usage: stargate[\s\S]*?)```/.exec(guide)?.[1];
    expect(documented).toBe(help.stdout);

    await writeFile(join(home, 'order.json'), JSON.stringify(orderData('CLI-1')));
    const submit = await run(
      'npx',
      [
        '--no-install',
        'stargate',
        'submit',
        'order',
        '--data',
        `@${join(home, 'order.json')}`,
        '--client-process-id',
        'CLI-1',
        '--wait',
      ],
      { cwd: project, env: cliEnv(cred.clientSecret), timeoutMs: 120_000 },
    );
    expect(submit.stderr).toBe('');
    expect(submit.code).toBe(0);
    const view = JSON.parse(submit.stdout);
    expect(view).toMatchObject({ status: 'completed', clientProcessId: 'CLI-1' });
    expect(view.result.totalAmount).toBe(orderTotal());

    const badSecret = await run('npx', ['--no-install', 'stargate', 'types'], {
      cwd: project,
      env: cliEnv('not-the-secret'),
    });
    expect(badSecret.code).toBe(6);

    const usage = await run('npx', ['--no-install', 'stargate', 'submit'], { cwd: project, env: cliEnv('') });
    expect(usage.code).toBe(2);
  }, 240_000);

  it('CommonJS code can require() the ESM package (Node ≥ 22.12 loads ESM with require)', async () => {
    const res = await run(
      process.execPath,
      [
        '-e',
        "const sdk = require('@stargate/client-sdk'); console.log(typeof sdk.createClient, typeof sdk.ProblemError)",
      ],
      { cwd: project },
    );
    expect(res.stdout.trim()).toBe('function function');
    expect(res.code).toBe(0);
  });
});
