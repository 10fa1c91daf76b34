import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GatewayConfig, ProcessType, ServerConfig, Tenant } from '@stargate/contracts';
import { parse, parseAllDocuments } from 'yaml';
import { publishedHashes, secretHashFor } from './desired/credentials.js';
import { desiredGatewayConfig } from './desired/gateway-config.js';
import { desiredServerConfig } from './desired/server-config.js';

/**
 * Client secrets for rendering without Kubernetes live in this file under the folder, as
 * `clientSecrets: { <tenant>: <secret> }`. Development only: in a cluster the operator
 * generates them into Secrets. In a subfolder, so `kubectl apply -f <folder>` skips it.
 */
export const DEV_CREDENTIALS_FILE = join('dev', 'credentials.yaml');

export class RenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderError';
  }
}

export interface RenderResult {
  gatewayConfig: GatewayConfig;
  serverConfig: ServerConfig;
}

async function yamlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch((err: unknown) => {
    throw new RenderError(`cannot read folder ${dir}: ${(err as Error).message}`);
  });
  return entries
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .filter((file) => file !== join(dir, DEV_CREDENTIALS_FILE))
    .sort();
}

export interface RenderOptions {
  /**
   * The GatewayConfig rendered last time: its hashes are kept for secrets that still verify, so
   * rendering again gives the same revision (each new hash has a random salt).
   */
  previous?: GatewayConfig;
}

/** Reads a folder of Tenant/ProcessType YAML (what `kubectl apply -f` takes) and renders both configs. */
export async function renderFolder(dir: string, options: RenderOptions = {}): Promise<RenderResult> {
  const tenants: Tenant[] = [];
  const processTypes: ProcessType[] = [];
  for (const file of await yamlFiles(dir)) {
    for (const doc of parseAllDocuments(await readFile(file, 'utf8'))) {
      if (doc.errors.length) throw new RenderError(`${file}: ${doc.errors[0]?.message}`);
      const obj = doc.toJS() as { kind?: string; metadata?: { name?: string } } | null;
      if (!obj?.kind) continue;
      if (!obj.metadata?.name) throw new RenderError(`${file}: a ${obj.kind} without metadata.name`);
      if (obj.kind === 'Tenant') tenants.push(obj as Tenant);
      else if (obj.kind === 'ProcessType') processTypes.push(obj as ProcessType);
    }
  }
  let secrets: Record<string, string> = {};
  try {
    const raw = parse(await readFile(join(dir, DEV_CREDENTIALS_FILE), 'utf8')) as {
      clientSecrets?: Record<string, string>;
    };
    secrets = raw?.clientSecrets ?? {};
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const hashes = new Map<string, string>();
  for (const t of tenants) {
    if (t.spec.credentials?.type === 'external') continue;
    const secret = secrets[t.metadata.name];
    if (!secret) {
      throw new RenderError(
        `no client secret for tenant "${t.metadata.name}": add it under clientSecrets in ${join(dir, DEV_CREDENTIALS_FILE)}`,
      );
    }
    hashes.set(
      t.metadata.name,
      await secretHashFor(secret, publishedHashes(options.previous, t.metadata.name)),
    );
  }
  const { config, excluded, excludedTypes } = desiredGatewayConfig({
    tenants,
    processTypes,
    secretHashes: hashes,
  });
  const problems = [...excludedTypes, ...excluded].map(([name, p]) => `${name}: ${p.reason}: ${p.message}`);
  if (problems.length) throw new RenderError(`cannot render ${dir}:\n  ${problems.join('\n  ')}`);
  return { gatewayConfig: config, serverConfig: desiredServerConfig(processTypes, tenants) };
}
