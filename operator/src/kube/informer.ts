import type { Logger } from 'pino';
import type { KubeObject } from '../desired/objects.js';
import type { KubeClient, WatchEvent } from './client.js';

export type InformerEvent = 'upsert' | 'delete';

export interface Informer<T extends KubeObject> {
  /** Lists, then watches from the list's resourceVersion; resumes after errors, re-lists on 410 Gone. */
  start(): void;
  hasSynced(): boolean;
  waitForSync(signal?: AbortSignal): Promise<void>;
  list(): T[];
  get(namespace: string | undefined, name: string): T | undefined;
  stats(): { lists: number; watches: number; gone: number };
  close(): void;
}

export interface InformerOptions<T extends KubeObject> {
  client: KubeClient;
  /** Collection path, e.g. /apis/stargate.io/v1alpha1/namespaces/x/tenants */
  path: string;
  labelSelector?: string;
  /** Set on list items, which the API server returns without them. */
  apiVersion: string;
  kind: string;
  onEvent: (type: InformerEvent, obj: T) => void;
  logger: Logger;
  /** Resume the first watch from this resourceVersion instead of listing (tests of the 410 path). */
  startResourceVersion?: string;
}

function keyOf(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
}

class GoneError extends Error {}

/**
 * A cache of one kind, kept current by list + watch like client-go's reflector. Watches resume
 * from the last resourceVersion seen (bookmarks included), so a dropped connection costs no
 * re-list; only 410 Gone (the version fell out of the server's window) forces one.
 */
export function createInformer<T extends KubeObject>(opts: InformerOptions<T>): Informer<T> {
  const cache = new Map<string, T>();
  let resourceVersion = opts.startResourceVersion;
  let synced = false;
  let closed = false;
  let current: { abort(): void } | undefined;
  let wake: (() => void) | undefined;
  const syncWaiters: (() => void)[] = [];
  const stats = { lists: 0, watches: 0, gone: 0 };
  const log = opts.logger.child({ informer: opts.path });
  const selector: Record<string, string> = opts.labelSelector ? { labelSelector: opts.labelSelector } : {};

  function markSynced() {
    if (synced) return;
    synced = true;
    for (const w of syncWaiters.splice(0)) w();
  }

  async function relist() {
    const list = await opts.client.list<T>(opts.path, selector);
    stats.lists++;
    const seen = new Set<string>();
    for (const item of list.items) {
      // List items omit apiVersion/kind; the handlers want whole objects.
      const obj = { ...item, apiVersion: opts.apiVersion, kind: opts.kind };
      const k = keyOf(obj);
      seen.add(k);
      const prev = cache.get(k);
      cache.set(k, obj);
      if (!prev || prev.metadata.resourceVersion !== obj.metadata.resourceVersion)
        opts.onEvent('upsert', obj);
    }
    for (const [k, obj] of cache) {
      if (!seen.has(k)) {
        cache.delete(k);
        opts.onEvent('delete', obj);
      }
    }
    resourceVersion = list.metadata.resourceVersion;
    markSynced();
  }

  function watchOnce(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let gone = false;
      const onEvent = (e: WatchEvent) => {
        if (e.type === 'ERROR') {
          const status = e.object as { code?: number; message?: string };
          if (status.code === 410) gone = true;
          else log.warn({ status }, 'watch error event');
          current?.abort();
          return;
        }
        const obj = e.object as T;
        if (obj.metadata?.resourceVersion) resourceVersion = obj.metadata.resourceVersion;
        if (e.type === 'BOOKMARK') return;
        const k = keyOf(obj);
        if (e.type === 'DELETED') {
          cache.delete(k);
          opts.onEvent('delete', obj);
        } else {
          cache.set(k, obj);
          opts.onEvent('upsert', obj);
        }
      };
      const done = (err: unknown) => {
        current = undefined;
        const code = (err as { statusCode?: number } | null)?.statusCode;
        if (gone || code === 410) return reject(new GoneError('resourceVersion too old'));
        const name = (err as { name?: string } | null)?.name;
        // A quiet connection closed by the client's inactivity timer is routine: resume.
        if (!err || name === 'TimeoutError' || name === 'AbortError' || closed) return resolve();
        reject(err);
      };
      stats.watches++;
      opts.client
        .watch(
          opts.path,
          {
            ...selector,
            resourceVersion: resourceVersion ?? '',
            allowWatchBookmarks: 'true',
            timeoutSeconds: '300',
          },
          onEvent,
          done,
        )
        .then((w) => {
          current = w;
          if (closed) w.abort();
        }, reject);
    });
  }

  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  async function run() {
    let backoff = 250;
    while (!closed) {
      try {
        if (!resourceVersion) await relist();
        await watchOnce();
        backoff = 250;
      } catch (err) {
        if (closed) break;
        if (err instanceof GoneError) {
          stats.gone++;
          log.info('watch expired (410 Gone): re-listing');
          resourceVersion = undefined;
          continue;
        }
        log.warn({ err: String(err), retryInMs: backoff }, 'list/watch failed; retrying');
        await pause(backoff);
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
  }

  return {
    start() {
      if (opts.startResourceVersion) markSynced();
      void run();
    },
    hasSynced: () => synced,
    waitForSync(signal) {
      if (synced) return Promise.resolve();
      return new Promise((resolve, reject) => {
        syncWaiters.push(resolve);
        signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      });
    },
    list: () => [...cache.values()],
    get: (namespace, name) => cache.get(`${namespace ?? ''}/${name}`),
    stats: () => ({ ...stats }),
    close() {
      closed = true;
      current?.abort();
      wake?.();
    },
  };
}
