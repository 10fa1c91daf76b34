/**
 * kubectl and helm as a platform team would run them against an installed StarGate (the
 * binaries on PATH, KUBECONFIG in the environment; tools/cluster/e2e.sh sets both).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Installed {
  gatewayUrl: string;
  /** MongoDB of the release, reachable from the test (for the ledger check). */
  mongoUrl: string;
  systemNs: string;
  publicNs: string;
  privateNs: string;
  release: string;
  chart: string;
}

/** What tools/cluster/e2e.sh installed, or undefined when the suite runs outside it. */
export function installed(env = process.env): Installed | undefined {
  const gatewayUrl = env.STARGATE_CLUSTER_GATEWAY_URL;
  const mongoUrl = env.STARGATE_CLUSTER_MONGO_URL;
  if (!gatewayUrl || !mongoUrl) return undefined;
  return {
    gatewayUrl,
    mongoUrl,
    systemNs: env.STARGATE_CLUSTER_NAMESPACE ?? 'stargate-system',
    publicNs: env.STARGATE_CLUSTER_PUBLIC_NAMESPACE ?? 'stargate-public',
    privateNs: env.STARGATE_CLUSTER_PRIVATE_NAMESPACE ?? 'stargate-private',
    release: env.STARGATE_CLUSTER_RELEASE ?? 'stargate',
    chart: env.STARGATE_CLUSTER_CHART ?? 'charts/stargate',
  };
}

export async function kubectl(args: string[], input?: string): Promise<string> {
  const child = run('kubectl', args, { maxBuffer: 16 * 1024 * 1024 });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  return (await child).stdout;
}

export async function helm(args: string[]): Promise<string> {
  return (await run('helm', args, { maxBuffer: 16 * 1024 * 1024 })).stdout;
}

export async function kubectlJson<T>(args: string[]): Promise<T> {
  return JSON.parse(await kubectl([...args, '-o', 'json'])) as T;
}

/** The generated client credentials of a Tenant (from the Secret its status names). */
export async function tenantCredentials(
  ns: string,
  tenant: string,
): Promise<{ clientId: string; clientSecret: string } | undefined> {
  const name = (
    await kubectl(['-n', ns, 'get', 'tenant', tenant, '-o', 'jsonpath={.status.secretName}'])
  ).trim();
  if (!name) return undefined;
  const secret = await kubectlJson<{ data?: Record<string, string> }>([
    '-n',
    ns,
    'get',
    'secret',
    name,
  ]).catch(() => undefined);
  const decode = (k: string) => Buffer.from(secret?.data?.[k] ?? '', 'base64').toString('utf8');
  if (!decode('client-id') || !decode('client-secret')) return undefined;
  return { clientId: decode('client-id'), clientSecret: decode('client-secret') };
}

/** An access token by the client-credentials grant; throws with the gateway's answer. */
export async function accessToken(
  gatewayUrl: string,
  creds: { clientId: string; clientSecret: string },
): Promise<string> {
  const res = await fetch(`${gatewayUrl}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${creds.clientId}:${creds.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** Ready replicas and the desired count of a Deployment. */
export async function deploymentReplicas(
  ns: string,
  name: string,
): Promise<{ desired: number; ready: number }> {
  const d = await kubectlJson<{ spec?: { replicas?: number }; status?: { readyReplicas?: number } }>([
    '-n',
    ns,
    'get',
    'deployment',
    name,
  ]);
  return { desired: d.spec?.replicas ?? 0, ready: d.status?.readyReplicas ?? 0 };
}

/** Names of the running pods a Deployment selects. */
export async function deploymentPods(ns: string, name: string): Promise<string[]> {
  const d = await kubectlJson<{ spec: { selector: { matchLabels: Record<string, string> } } }>([
    '-n',
    ns,
    'get',
    'deployment',
    name,
  ]);
  const selector = Object.entries(d.spec.selector.matchLabels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const pods = await kubectlJson<{
    items: { metadata: { name: string; deletionTimestamp?: string }; status: { phase: string } }[];
  }>(['-n', ns, 'get', 'pods', '-l', selector]);
  return pods.items
    .filter((p) => p.status.phase === 'Running' && !p.metadata.deletionTimestamp)
    .map((p) => p.metadata.name);
}
