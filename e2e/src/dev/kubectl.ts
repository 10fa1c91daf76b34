/**
 * kubectl as `make dev` uses it: the development cluster's own kubectl binary and kubeconfig,
 * one namespace. `shown()` is the command line as a person types it (with `kubectl` aliased
 * to the binary and KUBECONFIG exported, as the runner tells them to).
 */
import { execFile } from 'node:child_process';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class Kubectl {
  constructor(
    readonly bin: string,
    readonly kubeconfig: string,
    readonly namespace: string,
  ) {}

  /** The command line a person types for these arguments (namespaced ones get `-n`). */
  shown(args: readonly string[], namespaced = true): string {
    const quoted = args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`));
    return ['kubectl', ...(namespaced ? ['-n', this.namespace] : []), ...quoted].join(' ');
  }

  exec(args: readonly string[], opts: { namespaced?: boolean; input?: string; timeoutMs?: number } = {}) {
    const full = [
      '--kubeconfig',
      this.kubeconfig,
      ...(opts.namespaced === false ? [] : ['-n', this.namespace]),
      ...args,
    ];
    return new Promise<KubectlResult>((resolve) => {
      const child = execFile(
        this.bin,
        full,
        { timeout: opts.timeoutMs ?? 120_000, maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
          resolve({
            code,
            stdout: String(stdout),
            stderr: String(stderr) || (err && !stderr ? err.message : ''),
          });
        },
      );
      if (opts.input !== undefined) child.stdin?.end(opts.input);
    });
  }

  /** Runs and returns stdout; a failure is an error naming the command and kubectl's message. */
  async run(
    args: readonly string[],
    opts: { namespaced?: boolean; input?: string; timeoutMs?: number } = {},
  ) {
    const r = await this.exec(args, opts);
    if (r.code !== 0)
      throw new Error(
        `${this.shown(args, opts.namespaced !== false)} failed: ${r.stderr.trim() || `exit ${r.code}`}`,
      );
    return r.stdout;
  }

  async json<T>(args: readonly string[], opts: { namespaced?: boolean } = {}): Promise<T> {
    return JSON.parse(await this.run([...args, '-o', 'json'], opts)) as T;
  }

  /** The object, or undefined when it does not exist. */
  async getOptional<T>(kind: string, name: string): Promise<T | undefined> {
    const r = await this.exec(['get', kind, name, '-o', 'json', '--ignore-not-found']);
    if (r.code !== 0) throw new Error(`${this.shown(['get', kind, name])} failed: ${r.stderr.trim()}`);
    return r.stdout.trim() ? (JSON.parse(r.stdout) as T) : undefined;
  }

  /** One key of a Secret, decoded. */
  async secretValue(name: string, key: string): Promise<string | undefined> {
    const s = await this.getOptional<{ data?: Record<string, string> }>('secret', name);
    const v = s?.data?.[key];
    return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
  }
}
