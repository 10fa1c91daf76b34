import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from '@stargate/testkit';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../desired/objects.js';
import type { KubeClient } from '../kube/client.js';
import { kedaServed } from '../reconcile/autoscaling.js';

const fixture = resolve(dirname(fileURLToPath(import.meta.url)), 'keda-crds.yaml');

/**
 * Installs minimal stand-ins for KEDA's ScaledObject and TriggerAuthentication CRDs (see the
 * fixture's header) and waits until discovery serves them. Cluster-scoped: never deleted.
 */
export async function installKedaCrds(client: KubeClient): Promise<void> {
  for (const doc of parseAllDocuments(await readFile(fixture, 'utf8'))) {
    await client.apply(doc.toJS() as KubeObject, 'stargate-keda-test-crds');
  }
  await eventually(() => kedaServed(client));
}
