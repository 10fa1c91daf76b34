import https from 'node:https';
import { type KubeConfig, Watch } from '@kubernetes/client-node';
import type { KubeObject } from '../desired/objects.js';

/** An API server answer other than success, with its HTTP status and the server's message. */
export class KubeError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'KubeError';
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof KubeError && err.status === 404;
}

export function isConflict(err: unknown): boolean {
  return err instanceof KubeError && err.status === 409;
}

interface ResourceInfo {
  plural: string;
  namespaced: boolean;
}

const RESOURCES: Record<string, ResourceInfo> = {
  'v1/Secret': { plural: 'secrets', namespaced: true },
  'v1/ConfigMap': { plural: 'configmaps', namespaced: true },
  'v1/Event': { plural: 'events', namespaced: true },
  'v1/Namespace': { plural: 'namespaces', namespaced: false },
  'v1/ServiceAccount': { plural: 'serviceaccounts', namespaced: true },
  'rbac.authorization.k8s.io/v1/Role': { plural: 'roles', namespaced: true },
  'rbac.authorization.k8s.io/v1/RoleBinding': { plural: 'rolebindings', namespaced: true },
  'apps/v1/Deployment': { plural: 'deployments', namespaced: true },
  'policy/v1/PodDisruptionBudget': { plural: 'poddisruptionbudgets', namespaced: true },
  'keda.sh/v1alpha1/ScaledObject': { plural: 'scaledobjects', namespaced: true },
  'keda.sh/v1alpha1/TriggerAuthentication': { plural: 'triggerauthentications', namespaced: true },
  'coordination.k8s.io/v1/Lease': { plural: 'leases', namespaced: true },
  'stargate.io/v1alpha1/Tenant': { plural: 'tenants', namespaced: true },
  'stargate.io/v1alpha1/ProcessType': { plural: 'processtypes', namespaced: true },
  'apiextensions.k8s.io/v1/CustomResourceDefinition': {
    plural: 'customresourcedefinitions',
    namespaced: false,
  },
};

/** REST path of a collection (`name` omitted) or of one object. */
export function resourcePath(apiVersion: string, kind: string, namespace?: string, name?: string): string {
  const info = RESOURCES[`${apiVersion}/${kind}`];
  if (!info) throw new Error(`unknown resource ${apiVersion} ${kind}`);
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${info.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

export function objectPath(obj: KubeObject): string {
  return resourcePath(obj.apiVersion, obj.kind, obj.metadata.namespace, obj.metadata.name);
}

export interface List<T> {
  items: T[];
  metadata: { resourceVersion: string };
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: unknown;
}

export interface KubeClient {
  get<T>(path: string): Promise<T | undefined>;
  list<T>(path: string, query?: Record<string, string>): Promise<List<T>>;
  create<T>(path: string, body: unknown): Promise<T>;
  replace<T>(path: string, body: unknown): Promise<T>;
  /** Server-side apply with the operator's field manager (force: the operator owns these fields). */
  apply<T>(obj: KubeObject, fieldManager: string, subresource?: 'status'): Promise<T>;
  mergePatch<T>(path: string, patch: unknown): Promise<T>;
  delete(path: string): Promise<void>;
  /** One watch request; `done` is called once when it ends, with the error if any. */
  watch(
    path: string,
    query: Record<string, string>,
    onEvent: (e: WatchEvent) => void,
    done: (err: unknown) => void,
  ): Promise<{ abort(): void }>;
}

export interface KubeClientOptions {
  requestTimeoutMs?: number;
}

export function createKubeClient(kc: KubeConfig, options: KubeClientOptions = {}): KubeClient {
  const timeout = options.requestTimeoutMs ?? 30_000;
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const server = cluster.server.replace(/\/$/, '');
  const watcher = new Watch(kc);

  async function request<T>(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<T> {
    const url = new URL(server + path);
    const opts: https.RequestOptions = {
      method,
      hostname: url.hostname,
      port: url.port,
      path: url.pathname + url.search,
      headers: { accept: 'application/json' },
      timeout,
    };
    await kc.applyToHTTPSOptions(opts);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) {
      opts.headers = {
        ...opts.headers,
        'content-type': contentType,
        'content-length': Buffer.byteLength(payload),
      };
    }
    return new Promise<T>((resolve, reject) => {
      const req = https.request(opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          if (status >= 200 && status < 300) return resolve(parsed as T);
          const st = parsed as { message?: string; reason?: string } | undefined;
          reject(new KubeError(status, `${method} ${path}: ${status} ${st?.message ?? text}`, st?.reason));
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out after ${timeout} ms`)));
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  const qs = (query?: Record<string, string>) => {
    const s = new URLSearchParams(query).toString();
    return s ? `?${s}` : '';
  };

  return {
    async get<T>(path: string) {
      try {
        return await request<T>('GET', path);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    list: (path, query) => request('GET', path + qs(query)),
    create: (path, body) => request('POST', path, body),
    replace: (path, body) => request('PUT', path, body),
    apply: (obj, fieldManager, subresource) =>
      request(
        'PATCH',
        `${objectPath(obj)}${subresource ? `/${subresource}` : ''}?${new URLSearchParams({ fieldManager, force: 'true' })}`,
        obj,
        'application/apply-patch+yaml',
      ),
    mergePatch: (path, patch) => request('PATCH', path, patch, 'application/merge-patch+json'),
    async delete(path) {
      try {
        await request('DELETE', path, { propagationPolicy: 'Background' });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },
    async watch(path, query, onEvent, done) {
      const controller = await watcher.watch(
        path,
        query,
        (type: string, object: unknown) => onEvent({ type: type as WatchEvent['type'], object }),
        done,
      );
      return { abort: () => controller.abort() };
    },
  };
}
