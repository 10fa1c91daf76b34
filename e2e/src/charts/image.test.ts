/**
 * The Dockerfile and the kind script cannot run here (no Docker engine); these checks keep them
 * consistent with the repository: every workspace in the build, the agreed entry points
 * compiled, a non-root runtime user, and a script that parses and fails fast.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CHART_DIR, REPO_ROOT } from './helm.js';

const run = promisify(execFile);
const dockerfile = () => readFile(`${REPO_ROOT}Dockerfile`, 'utf8');

describe('Dockerfile', () => {
  it('copies the manifest of every npm workspace before `npm ci`, so the lock file matches', async () => {
    const text = await dockerfile();
    const root = JSON.parse(await readFile(`${REPO_ROOT}package.json`, 'utf8')) as { workspaces: string[] };
    const npmCi = text.search(/^RUN .*npm ci/m);
    for (const ws of root.workspaces) {
      const at = text.indexOf(`COPY ${ws}/package.json ${ws}/`);
      expect(at, ws).toBeGreaterThan(0);
      expect(at, ws).toBeLessThan(npmCi);
    }
    expect(text).toContain('COPY package.json package-lock.json');
  });

  it('builds on Node 24, keeps production dependencies only and runs as a numeric non-root user', async () => {
    const text = await dockerfile();
    expect(text).toMatch(/^ARG NODE_IMAGE=node:24/m);
    expect(text.match(/^FROM /gm)).toHaveLength(2);
    expect(text).toContain('npm prune --omit=dev');
    expect(text).toMatch(/^USER 10001:10001$/m);
    expect(text).toMatch(/^HEALTHCHECK /m);
  });

  it("compiles each entry point the chart and the operator start, and the image's user is the chart's", async () => {
    const text = await dockerfile();
    for (const pkg of ['gateway', 'server', 'operator', 'client-sdk', 'contracts']) {
      expect(text).toContain(`COPY --from=build /app/${pkg}/dist ${pkg}/dist`);
    }
    const values = await readFile(`${CHART_DIR}/templates/_helpers.tpl`, 'utf8');
    expect(values).toContain('runAsUser: {{ .runAsUser | default 10001 }}');
  });
});

describe('e2e/kind/run.sh', () => {
  const script = `${REPO_ROOT}e2e/kind/run.sh`;

  it('parses, is strict, and checks its prerequisites before doing anything', async () => {
    await run('bash', ['-n', script]);
    const text = await readFile(script, 'utf8');
    expect(text).toContain('set -euo pipefail');
    for (const tool of ['docker', 'kind', 'kubectl', 'helm', 'node', 'curl']) {
      expect(text).toMatch(new RegExp(`^need ${tool} `, 'm'));
    }
    expect(text.indexOf('need docker')).toBeLessThan(text.indexOf('kind create cluster'));
    expect(text).toContain('trap cleanup EXIT');
  });

  it('names a missing tool instead of failing obscurely', async () => {
    // PATH without docker/kind: the script must stop at the first check, saying what is missing.
    const err = await run('/bin/bash', [script], { env: { PATH: '/nonexistent', HOME: '/tmp' } }).then(
      () => undefined,
      (e: { stderr?: string; code?: number }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toContain('docker is not installed');
  });

  it('applies example files that exist', async () => {
    const text = await readFile(script, 'utf8');
    const files = [...text.matchAll(/\$ROOT\/examples\/([\w.-]+\.yaml)/g)].map((m) => m[1] ?? '');
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const f of files)
      await expect(readFile(`${REPO_ROOT}examples/${f}`, 'utf8')).resolves.toContain('kind:');
  });
});
