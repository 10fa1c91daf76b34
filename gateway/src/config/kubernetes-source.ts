import { CoreV1Api, KubeConfig, ListWatch, type V1Secret, Watch } from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { ConfigStore } from './config-store.js';
import { type ConfigSource, parseConfigText } from './file-source.js';

export const CONFIG_SECRET_KEY = 'gateway-config.json';

/**
 * Watches the one Secret the operator writes (field selector on its name). ListWatch re-lists
 * when the watch ends with 410 Gone and resumes from the last resourceVersion otherwise; on any
 * other error it stops, so it is restarted here after a pause.
 */
export function createKubernetesConfigSource(deps: {
  namespace: string;
  name: string;
  kubeconfig?: string;
  store: ConfigStore;
  logger: Logger;
  metrics: Metrics;
  restartDelayMs?: number;
}): ConfigSource {
  const kc = new KubeConfig();
  if (deps.kubeconfig) kc.loadFromFile(deps.kubeconfig);
  else kc.loadFromDefault();
  const api = kc.makeApiClient(CoreV1Api);
  const fieldSelector = `metadata.name=${deps.name}`;
  let informer: ListWatch<V1Secret> | undefined;
  let restartTimer: NodeJS.Timeout | undefined;
  let closed = false;
  let lastResourceVersion: string | undefined;
  const where = `${deps.namespace}/${deps.name}`;
  const waiting = `waiting for Secret ${where} (key ${CONFIG_SECRET_KEY}); the operator writes it`;

  function apply(secret: V1Secret): void {
    if (secret.metadata?.name !== deps.name) return;
    const rv = secret.metadata.resourceVersion;
    if (rv && rv === lastResourceVersion) return;
    lastResourceVersion = rv;
    const encoded = secret.data?.[CONFIG_SECRET_KEY];
    const text =
      encoded !== undefined
        ? Buffer.from(encoded, 'base64').toString('utf8')
        : secret.stringData?.[CONFIG_SECRET_KEY];
    if (text === undefined) {
      deps.metrics.configReloads.inc({ result: 'rejected' });
      deps.store.setMissingReason(`Secret ${where} has no key ${CONFIG_SECRET_KEY}`);
      deps.logger.error(
        { event: 'config.rejected', secret: deps.name },
        `Secret has no key ${CONFIG_SECRET_KEY}`,
      );
      return;
    }
    let doc: unknown;
    try {
      doc = parseConfigText(text);
    } catch (err) {
      deps.metrics.configReloads.inc({ result: 'rejected' });
      deps.store.setMissingReason(`Secret ${where} is not JSON or YAML: ${(err as Error).message}`);
      deps.logger.error(
        { event: 'config.rejected', err: (err as Error).message },
        'config Secret is not JSON',
      );
      return;
    }
    deps.store.apply(doc, `secret:${deps.namespace}/${deps.name}`);
  }

  function startInformer(): void {
    const lw = new ListWatch<V1Secret>(
      `/api/v1/namespaces/${deps.namespace}/secrets`,
      new Watch(kc),
      () => api.listNamespacedSecret({ namespace: deps.namespace, fieldSelector }),
      false,
      undefined,
      fieldSelector,
    );
    lw.on('add', apply);
    lw.on('update', apply);
    lw.on('delete', () => {
      // Keep serving with the last good config: a deleted Secret is an operator problem, not an outage.
      lastResourceVersion = undefined;
      deps.store.setMissingReason(waiting);
      deps.logger.error(
        { event: 'config.secret_deleted', secret: deps.name },
        'gateway config Secret deleted',
      );
    });
    lw.on('error', (err: unknown) => {
      if (closed) return;
      deps.logger.warn({ err: (err as Error)?.message }, 'config Secret watch failed; restarting');
      restartTimer = setTimeout(() => {
        if (!closed) lw.start().catch(() => undefined);
      }, deps.restartDelayMs ?? 2000);
    });
    informer = lw;
  }

  return {
    async start() {
      deps.store.setMissingReason(waiting);
      startInformer();
      await informer!.start();
      // The first list has been applied synchronously by start(). Without a Secret (a fresh
      // install, no Tenant yet) the gateway runs and answers not-ready until the operator writes it.
      if (!deps.store.current()) {
        deps.logger.warn(
          { event: 'config.waiting', secret: where, reason: deps.store.missingReason() },
          'no gateway configuration yet; not ready until the operator writes it',
        );
      }
    },
    async close() {
      closed = true;
      clearTimeout(restartTimer);
      await informer?.stop();
    },
  };
}
