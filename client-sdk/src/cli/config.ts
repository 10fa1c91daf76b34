import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { baseUrlProblem } from '../client/base-url.js';

/** What the CLI needs to reach the gateway; env wins over the config file written by `login`. */
export interface CliConfig {
  url: string;
  clientId: string;
  clientSecret: string;
  database: string;
  /** Plain http:// to a non-loopback host accepted (`--allow-insecure-http`, saved by `login`). */
  allowInsecureHttp?: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function configPath(env: Record<string, string | undefined>): string {
  return env.STARGATE_CONFIG ?? join(env.HOME ?? homedir(), '.config', 'stargate', 'config.json');
}

export function defaultDatabase(env: Record<string, string | undefined>): string {
  return join(env.HOME ?? homedir(), '.local', 'state', 'stargate', 'client.db');
}

async function readFileConfig(path: string): Promise<Partial<CliConfig>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return {};
  }
  try {
    return JSON.parse(text) as Partial<CliConfig>;
  } catch (err) {
    throw new ConfigError(`${path}: not valid JSON (${(err as Error).message})`);
  }
}

/** `STARGATE_ALLOW_INSECURE_HTTP=true` (or 1) in the environment. */
export function insecureHttpFromEnv(env: Record<string, string | undefined>): boolean {
  return ['1', 'true'].includes((env.STARGATE_ALLOW_INSECURE_HTTP ?? '').trim().toLowerCase());
}

/** Throws a ConfigError when the URL is not one the client may use (see baseUrlProblem). */
export function checkUrl(name: string, url: string, allowInsecureHttp: boolean): void {
  const problem = baseUrlProblem(url, allowInsecureHttp);
  if (problem) {
    const hint = problem.startsWith('uses plain')
      ? ' (--allow-insecure-http or STARGATE_ALLOW_INSECURE_HTTP=true)'
      : '';
    throw new ConfigError(`${name} ${problem}${hint}`);
  }
}

/** Reads and validates the configuration once; the error names the missing setting. */
export async function loadConfig(
  env: Record<string, string | undefined>,
  flags: { allowInsecureHttp?: boolean } = {},
): Promise<CliConfig> {
  const file = await readFileConfig(configPath(env));
  const cfg = {
    url: env.STARGATE_URL ?? file.url,
    clientId: env.STARGATE_CLIENT_ID ?? file.clientId,
    clientSecret: env.STARGATE_CLIENT_SECRET ?? file.clientSecret,
    database: env.STARGATE_DB ?? file.database ?? defaultDatabase(env),
    allowInsecureHttp:
      flags.allowInsecureHttp === true || insecureHttpFromEnv(env) || file.allowInsecureHttp === true,
  };
  const missing = (
    [
      ['url', 'STARGATE_URL'],
      ['clientId', 'STARGATE_CLIENT_ID'],
      ['clientSecret', 'STARGATE_CLIENT_SECRET'],
    ] as const
  ).filter(([k]) => !cfg[k]);
  if (missing.length > 0)
    throw new ConfigError(
      `missing ${missing.map(([, e]) => e).join(', ')}: set the environment variable(s) or run \`stargate login\``,
    );
  checkUrl('STARGATE_URL', cfg.url!, cfg.allowInsecureHttp);
  return cfg as CliConfig;
}

/** Writes the config file readable by the owner only: it holds the client secret. */
export async function saveConfig(env: Record<string, string | undefined>, cfg: CliConfig): Promise<string> {
  const path = configPath(env);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(cfg, null, 2)}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return path;
}
