/**
 * A real `helm install` and `helm upgrade` against the kube-apiserver (no kubelet here, so no
 * pod starts): what a user sees from Helm itself — the NOTES, and generated credentials that
 * survive an upgrade instead of silently rotating under running clients.
 */
import { readFile } from 'node:fs/promises';
import { uniqueName } from '@stargate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNamespaces, deleteNamespaces, installCrds } from './crds.js';
import { CHART_DIR, helm, kubectl, REPO_ROOT } from './helm.js';

const release = uniqueName('sginst');
const ns = { system: release, public: `${release}-pub`, private: `${release}-priv` };
const common = [
  CHART_DIR,
  '--namespace',
  ns.system,
  '--set',
  `namespaces.public=${ns.public}`,
  '--set',
  `namespaces.private=${ns.private}`,
];

async function secretData(namespace: string, name: string): Promise<Record<string, string>> {
  const { stdout } = await kubectl(['get', 'secret', name, '-n', namespace, '-o', 'json']);
  return JSON.parse(stdout).data as Record<string, string>;
}

let notes = '';

beforeAll(async () => {
  await installCrds();
  await createNamespaces([ns.system]);
  // The chart creates the two zone namespaces itself (namespaces.create defaults to true).
  const { stdout } = await helm(['install', 'sg', ...common]);
  notes = stdout;
});

afterAll(async () => {
  await helm(['uninstall', 'sg', '--namespace', ns.system]).catch(() => undefined);
  await deleteNamespaces([ns.system, ns.public, ns.private]);
});

describe('helm install', () => {
  it('creates the zone namespaces with the restricted Pod Security profile, kept on uninstall', async () => {
    for (const name of [ns.public, ns.private]) {
      const { stdout } = await kubectl(['get', 'namespace', name, '-o', 'json']);
      const meta = JSON.parse(stdout).metadata as {
        labels: Record<string, string>;
        annotations: Record<string, string>;
      };
      expect(meta.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
      expect(meta.annotations['helm.sh/resource-policy']).toBe('keep');
    }
  });

  it('prints NOTES that tell how to apply the first ProcessType and Tenant, with files that exist', async () => {
    expect(notes).toContain(`kubectl -n ${ns.system} apply -f examples/processtype-order.yaml`);
    expect(notes).toContain(`kubectl -n ${ns.system} apply -f examples/tenant-acme.yaml`);
    expect(notes).toContain(`port-forward svc/sg-stargate-gateway`);
    for (const f of ['processtype-order.yaml', 'tenant-acme.yaml']) {
      await expect(readFile(`${REPO_ROOT}examples/${f}`, 'utf8')).resolves.toContain(
        'apiVersion: stargate.io/',
      );
    }
  });

  it('keeps generated passwords and the signing key across an upgrade', async () => {
    const before = {
      rabbit: await secretData(ns.public, 'sg-stargate-rabbitmq'),
      redis: await secretData(ns.public, 'sg-stargate-redis'),
      mongo: await secretData(ns.private, 'sg-stargate-mongodb'),
      conn: await secretData(ns.private, 'stargate-server-connections'),
      keys: await secretData(ns.public, 'sg-stargate-signing-keys'),
      encryption: await secretData(ns.private, 'sg-stargate-encryption-keys'),
    };
    expect(Buffer.from(before.encryption.keys ?? '', 'base64').toString()).toMatch(/^k1:[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(before.rabbit.password ?? '', 'base64').toString()).toMatch(/^[A-Za-z0-9]{32}$/);

    await helm(['upgrade', 'sg', ...common, '--set', 'gateway.replicas=3']);

    expect(await secretData(ns.public, 'sg-stargate-rabbitmq')).toEqual(before.rabbit);
    expect(await secretData(ns.public, 'sg-stargate-redis')).toEqual(before.redis);
    expect(await secretData(ns.private, 'sg-stargate-mongodb')).toEqual(before.mongo);
    expect(await secretData(ns.private, 'stargate-server-connections')).toEqual(before.conn);
    expect(await secretData(ns.public, 'sg-stargate-signing-keys')).toEqual(before.keys);
    expect(await secretData(ns.private, 'sg-stargate-encryption-keys')).toEqual(before.encryption);
    const { stdout } = await kubectl([
      'get',
      'deployment',
      'sg-stargate-gateway',
      '-n',
      ns.public,
      '-o',
      'json',
    ]);
    expect(JSON.parse(stdout).spec.replicas).toBe(3);
  });

  it('keeps a rotated key list across an upgrade, and the encryption key Secret on uninstall', async () => {
    const k2 = `k2:${Buffer.alloc(32, 7).toString('base64')}`;
    const k1 = Buffer.from(
      (await secretData(ns.private, 'sg-stargate-encryption-keys')).keys ?? '',
      'base64',
    );
    const rotated = Buffer.from(`${k2},${k1}`).toString('base64');
    await kubectl([
      'patch',
      'secret',
      'sg-stargate-encryption-keys',
      '-n',
      ns.private,
      '-p',
      JSON.stringify({ data: { keys: rotated } }),
    ]);
    await helm(['upgrade', 'sg', ...common]);
    expect((await secretData(ns.private, 'sg-stargate-encryption-keys')).keys).toBe(rotated);

    await helm(['uninstall', 'sg', '--namespace', ns.system]);
    // Without the key the stored data could not be read: Helm leaves it behind on purpose.
    expect((await secretData(ns.private, 'sg-stargate-encryption-keys')).keys).toBe(rotated);
    await expect(secretData(ns.public, 'sg-stargate-signing-keys')).rejects.toThrow(/NotFound|not found/);
  });
});
