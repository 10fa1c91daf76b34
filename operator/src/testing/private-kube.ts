import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { eventually, freePort, serviceEnv } from '@stargate/testkit';
import { testClient } from './cluster.js';

export interface PrivateKube {
  kubeconfig: string;
  etcdUrl: string;
  stopApiserver(): Promise<void>;
  startApiserver(): Promise<void>;
  /** Compacts etcd's history up to now: watches from older resourceVersions get 410 Gone. */
  compact(): Promise<void>;
  close(): Promise<void>;
}

function stop(p: ChildProcess | undefined): Promise<void> {
  if (!p || p.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    p.once('exit', () => resolve());
    p.kill('SIGTERM');
  });
}

/**
 * A private etcd + kube-apiserver pair on free ports, for the one test that restarts the API
 * server: the shared one must never be stopped. Same binaries and PKI as tools/services.sh
 * (its serving certificate is for 127.0.0.1, whatever the port).
 */
export async function startPrivateKube(): Promise<PrivateKube> {
  const env = serviceEnv();
  const pki = join(dirname(env.kubeconfig), 'pki');
  const apiserverBin = join(dirname(env.kubectl), 'kube-apiserver');
  const dir = await mkdtemp(join(tmpdir(), 'stargate-kube-'));
  const [etcdPort, peerPort, kubePort] = [await freePort(), await freePort(), await freePort()];
  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const etcd = spawn(
    'etcd',
    [
      '--name=private',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=private=http://127.0.0.1:${peerPort}`,
      '--unsafe-no-fsync',
      '--log-level=error',
    ],
    { stdio: 'ignore' },
  );
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters:
- name: private
  cluster: { server: "https://127.0.0.1:${kubePort}", certificate-authority: "${pki}/ca.crt" }
users:
- name: admin
  user: { client-certificate: "${pki}/admin.crt", client-key: "${pki}/admin.key" }
contexts:
- name: private
  context: { cluster: private, user: admin }
current-context: private
`,
  );
  let apiserver: ChildProcess | undefined;
  const client = testClient(kubeconfig);

  async function startApiserver() {
    apiserver = spawn(
      apiserverBin,
      [
        '--bind-address=127.0.0.1',
        `--secure-port=${kubePort}`,
        '--advertise-address=127.0.0.1',
        `--etcd-servers=${etcdUrl}`,
        `--tls-cert-file=${pki}/serving.crt`,
        `--tls-private-key-file=${pki}/serving.key`,
        `--client-ca-file=${pki}/ca.crt`,
        `--service-account-key-file=${pki}/sa.pub`,
        `--service-account-signing-key-file=${pki}/sa.key`,
        '--service-account-issuer=https://kubernetes.default.svc',
        '--authorization-mode=RBAC',
        '--service-cluster-ip-range=10.0.0.0/24',
        '--disable-admission-plugins=ServiceAccount',
        '--v=0',
      ],
      { stdio: 'ignore' },
    );
    await eventually(() => client.get('/api/v1/namespaces/default'), 120_000, 500);
  }

  await eventually(() => fetch(`${etcdUrl}/health`).then((r) => r.ok), 30_000, 200);
  await startApiserver();
  return {
    kubeconfig,
    etcdUrl,
    stopApiserver: () => stop(apiserver),
    startApiserver,
    async compact() {
      const res = await fetch(`${etcdUrl}/v3/kv/range`, {
        method: 'POST',
        body: JSON.stringify({ key: 'AA==' }),
      });
      const revision = ((await res.json()) as { header: { revision: string } }).header.revision;
      const c = await fetch(`${etcdUrl}/v3/kv/compaction`, {
        method: 'POST',
        body: JSON.stringify({ revision, physical: true }),
      });
      if (!c.ok) throw new Error(`etcd compaction failed: ${c.status} ${await c.text()}`);
    },
    async close() {
      await stop(apiserver);
      await stop(etcd);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
