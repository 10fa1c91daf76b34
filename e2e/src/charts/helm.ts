/**
 * Runs helm and kubectl (the binaries tools/services.sh provides) on charts/stargate and parses
 * what they print, for the chart tests.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { serviceEnv } from '@stargate/testkit';
import { parseAllDocuments } from 'yaml';

const run = promisify(execFile);

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CHART_DIR = `${REPO_ROOT}charts/stargate`;
export const VALUES_FILES = ['values.yaml', 'values-production.yaml', 'values-minimal.yaml'] as const;

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export interface RenderOptions {
  valuesFile?: string;
  release?: string;
  namespace?: string;
  set?: Record<string, string | number | boolean>;
}

function helmArgs(opts: RenderOptions): string[] {
  const args = ['--namespace', opts.namespace ?? 'stargate-system'];
  if (opts.valuesFile && opts.valuesFile !== 'values.yaml')
    args.push('-f', `${CHART_DIR}/${opts.valuesFile}`);
  // `helm template` has no cluster to keep generated secrets in: these renders are throwaway.
  const set = { 'generatedSecrets.allowWithoutCluster': true, ...opts.set };
  for (const [k, v] of Object.entries(set)) args.push('--set', `${k}=${v}`);
  return args;
}

/** `helm template`, as text (what a user would pipe into kubectl). */
export async function templateText(opts: RenderOptions = {}): Promise<string> {
  const { stdout } = await run(
    serviceEnv().helm,
    ['template', opts.release ?? 'sg', CHART_DIR, ...helmArgs(opts)],
    { maxBuffer: 32 * 1024 * 1024 },
  );
  return stdout;
}

/** `helm template`, parsed; a document that is not clean YAML (duplicate keys, bad indent) fails. */
export async function render(opts: RenderOptions = {}): Promise<Manifest[]> {
  const docs = parseAllDocuments(await templateText(opts), { uniqueKeys: true });
  const out: Manifest[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`helm rendered invalid YAML: ${doc.errors.join('; ')}`);
    const value = doc.toJS() as Manifest | null;
    if (value) out.push(value);
  }
  return out;
}

/** The error helm prints when rendering fails (e.g. a values typo refused by values.schema.json). */
export async function renderError(opts: RenderOptions): Promise<string> {
  try {
    await templateText(opts);
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
  throw new Error('helm template succeeded but was expected to fail');
}

export async function helm(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(serviceEnv().helm, args, { maxBuffer: 16 * 1024 * 1024 });
}

/** kubectl against the development API server; `input` is piped to stdin. */
export function kubectl(args: string[], input?: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      serviceEnv().kubectl,
      ['--kubeconfig', serviceEnv().kubeconfig, ...args],
      { maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(Object.assign(err, { stdout, stderr }));
        else resolve({ stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

export function find<T = Manifest>(docs: Manifest[], kind: string, name: string): T {
  const doc = docs.find((d) => d.kind === kind && d.metadata.name === name);
  if (!doc) throw new Error(`no ${kind} ${name} in the rendered chart`);
  return doc as T;
}

export function ofKind<T = Manifest>(docs: Manifest[], kind: string): T[] {
  return docs.filter((d) => d.kind === kind) as T[];
}
