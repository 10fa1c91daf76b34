/**
 * The handler Deployments the operator makes, run here as local processes. The development API
 * server has no nodes, so nothing would run them: `make dev` plays the node. For every
 * ProcessType the operator reports (status.handler set), it takes the operator's ConfigMap
 * `stargate-handler-<type>` (the ServerConfig a pod would mount), starts `server/dist/main.js`
 * with the pod's environment, and once the worker is ready writes the Deployment's status as a
 * kubelet and the Deployment controller would — so the ProcessType turns Ready, `Available`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually } from '@stargate/testkit';
import { freePort, type ManagedProcess, startProcess } from '../support/stack.js';
import { say } from './console.js';
import type { Kubectl } from './kubectl.js';
import type { DevRun } from './run.js';

interface ProcessTypeObject {
  metadata: { name: string };
  status?: { handler?: string; queue?: string; conditions?: Array<{ type: string; reason?: string }> };
}

export interface LocalHandler {
  processType: string;
  deployment: string;
  healthUrl: string;
  process: ManagedProcess;
}

export interface HandlerConnections {
  amqpUrl: string;
  mongoUrl: string;
  mongoDb: string;
  /** STARGATE_ENCRYPTION_KEYS, as the operator gives handler pods from the key Secret. */
  encryptionKeys?: string;
}

/** The ProcessTypes in the namespace once the operator has reconciled each of them. */
export async function reportedProcessTypes(k: Kubectl): Promise<ProcessTypeObject[]> {
  return eventually(
    async () => {
      const list = await k.json<{ items: ProcessTypeObject[] }>(['get', 'processtypes']);
      return list.items.length > 0 && list.items.every((p) => p.status?.handler) ? list.items : undefined;
    },
    120_000,
    500,
  );
}

export async function startLocalHandlers(
  run: DevRun,
  k: Kubectl,
  conn: HandlerConnections,
): Promise<LocalHandler[]> {
  const dir = join(run.settings.dataDir, k.namespace, 'handlers');
  await mkdir(dir, { recursive: true });
  const handlers: LocalHandler[] = [];
  for (const pt of await reportedProcessTypes(k)) {
    const name = pt.metadata.name;
    const reason = pt.status?.conditions?.find((c) => c.type === 'Ready')?.reason;
    if (reason === 'InvalidSchema' || reason === 'SecretNotFound') {
      say(
        `  (no worker for ProcessType ${name}: the operator reports ${reason}; see kubectl describe processtype ${name})`,
      );
      continue;
    }
    const deployment = `stargate-handler-${name}`;
    const cm = await eventually(
      () => k.getOptional<{ data?: Record<string, string> }>('configmap', deployment),
      60_000,
      500,
    );
    const configText = cm.data?.['server-config.json'];
    if (!configText) throw new Error(`ConfigMap ${deployment} has no server-config.json`);
    const configFile = join(dir, `${name}.json`);
    await writeFile(configFile, configText);
    const healthPort = await freePort();
    const p = run.track(
      startProcess(`handler ${name}`, 'server/dist/main.js', {
        STARGATE_PROCESS_TYPES: name,
        STARGATE_SERVER_CONFIG_FILE: configFile,
        STARGATE_HEALTH_PORT: String(healthPort),
        STARGATE_AMQP_URL: conn.amqpUrl,
        STARGATE_MONGO_URL: conn.mongoUrl,
        STARGATE_MONGO_DB: conn.mongoDb,
        ...(conn.encryptionKeys ? { STARGATE_ENCRYPTION_KEYS: conn.encryptionKeys } : {}),
        STARGATE_LOG_LEVEL: run.settings.logLevel,
      }),
    );
    handlers.push({
      processType: name,
      deployment,
      healthUrl: `http://127.0.0.1:${healthPort}/health/ready`,
      process: p,
    });
  }
  for (const h of handlers) {
    await run.waitReady(h.process, h.healthUrl, `handler worker for ${h.processType}`);
    await reportReplicas(k, h.deployment, 1);
  }
  return handlers;
}

/** Writes the Deployment's status the way the Deployment controller would for `ready` local workers. */
export async function reportReplicas(k: Kubectl, deployment: string, ready: number): Promise<void> {
  const status = { replicas: ready, updatedReplicas: ready, readyReplicas: ready, availableReplicas: ready };
  await k.run([
    'patch',
    'deployment',
    deployment,
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify({ status }),
  ]);
}
