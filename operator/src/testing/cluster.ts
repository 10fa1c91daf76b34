import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { GROUP_VERSION } from '@stargate/contracts';
import { eventually, serviceEnv, uniqueName } from '@stargate/testkit';
import { pino } from 'pino';
import { parseAllDocuments } from 'yaml';
import type { OperatorConfig } from '../config.js';
import type { KubeObject } from '../desired/objects.js';
import { createKubeClient, type KubeClient, resourcePath } from '../kube/client.js';

const crdDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../crds');

export function testClient(kubeconfigPath = serviceEnv().kubeconfig): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return createKubeClient(kc);
}

/** Installs the CRDs by server-side apply (idempotent; cluster-scoped, so never deleted by tests). */
export async function installCrds(client: KubeClient): Promise<void> {
  for (const file of ['tenant.yaml', 'processtype.yaml']) {
    for (const doc of parseAllDocuments(await readFile(resolve(crdDir, file), 'utf8'))) {
      await client.apply(doc.toJS() as KubeObject, 'stargate-crds');
    }
  }
  await eventually(async () => {
    await client.list(resourcePath(GROUP_VERSION, 'Tenant', 'default'));
    await client.list(resourcePath(GROUP_VERSION, 'ProcessType', 'default'));
    return true;
  });
}

export async function createNamespace(client: KubeClient, prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  await client.create(resourcePath('v1', 'Namespace'), {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
  });
  return name;
}

export function testConfig(
  ns: { watch: string; gateway: string; private: string },
  identity = uniqueName('op'),
): OperatorConfig {
  return {
    watchNamespace: ns.watch,
    gatewayNamespace: ns.gateway,
    privateNamespace: ns.private,
    gatewayConfigName: 'stargate-gateway-config',
    handlerImage: 'registry.example/stargate:test',
    allowedHandlerImages: ['acme/billing:*'],
    tokenUrl: 'https://gateway.example/oauth/token',
    healthPort: 0,
    leaseName: 'stargate-operator',
    identity,
    resyncSeconds: 300,
    rotationGraceSeconds: 2,
    logLevel: 'warn',
  };
}

export const testLogger = pino({ level: process.env.STARGATE_LOG_LEVEL ?? 'silent' });
