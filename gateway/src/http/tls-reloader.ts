import { type FSWatcher, watch } from 'node:fs';
import { dirname } from 'node:path';
import type { Server as TlsServer } from 'node:tls';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { type LoadedTls, loadTlsFiles, type TlsFiles } from './tls-files.js';

export interface TlsReloader {
  /** The certificate served now. */
  current(): LoadedTls;
  /** Re-reads the files now; resolves with what happened. */
  reload(): Promise<'applied' | 'unchanged' | 'rejected'>;
  close(): void;
}

/**
 * Serves a renewed certificate without a restart: watches the folders of the files (Kubernetes
 * updates a mounted Secret by swapping a symlink, editors by renaming, so a watch on the file
 * itself would miss it) and re-reads them every `pollMs` besides, in case an event is lost. A
 * pair that does not load (the key not yet matching the new certificate mid-rotation, a broken
 * file) is logged and counted; the certificate in force keeps being served.
 */
export function watchTlsFiles(deps: {
  files: TlsFiles;
  initial: LoadedTls;
  server: TlsServer;
  logger: Logger;
  metrics: Metrics;
  debounceMs?: number;
  pollMs?: number;
}): TlsReloader {
  let current = deps.initial;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let running: Promise<'applied' | 'unchanged' | 'rejected'> | undefined;
  deps.metrics.tlsCertificateNotAfter.set(current.notAfter.getTime() / 1000);

  async function reloadOnce(): Promise<'applied' | 'unchanged' | 'rejected'> {
    let next: LoadedTls;
    try {
      next = await loadTlsFiles(deps.files);
    } catch (err) {
      deps.metrics.tlsReloads.inc({ result: 'rejected' });
      deps.logger.error(
        { event: 'tls.reload_failed', err: (err as Error).message, serving: current.fingerprint256 },
        'TLS certificate not reloaded; the one in force is still served',
      );
      return 'rejected';
    }
    if (next.text === current.text) return 'unchanged';
    deps.server.setSecureContext(next.options);
    const previous = current.fingerprint256;
    current = next;
    deps.metrics.tlsReloads.inc({ result: 'applied' });
    deps.metrics.tlsCertificateNotAfter.set(next.notAfter.getTime() / 1000);
    deps.logger.info(
      {
        event: 'tls.reloaded',
        fingerprint256: next.fingerprint256,
        previous,
        subject: next.subject,
        notAfter: next.notAfter.toISOString(),
      },
      'TLS certificate reloaded',
    );
    return 'applied';
  }

  // One reload at a time; a change arriving meanwhile is picked up by the next one.
  async function reload(): Promise<'applied' | 'unchanged' | 'rejected'> {
    while (running) await running.catch(() => undefined);
    running = reloadOnce();
    try {
      return await running;
    } finally {
      running = undefined;
    }
  }

  const schedule = () => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => void reload(), deps.debounceMs ?? 200);
  };
  const folders = new Set(
    [deps.files.certFile, deps.files.keyFile, deps.files.caFile]
      .filter((f): f is string => f !== undefined)
      .map((f) => dirname(f)),
  );
  const watchers: FSWatcher[] = [];
  for (const folder of folders) {
    try {
      const w = watch(folder, { persistent: false }, schedule);
      w.on('error', (err) =>
        deps.logger.warn({ event: 'tls.watch_failed', folder, err: err.message }, 'TLS folder watch failed'),
      );
      watchers.push(w);
    } catch (err) {
      deps.logger.warn(
        { event: 'tls.watch_failed', folder, err: (err as Error).message },
        'cannot watch the TLS folder; relying on the periodic re-read',
      );
    }
  }
  const poll = setInterval(() => void reload(), deps.pollMs ?? 60_000);
  poll.unref();

  return {
    current: () => current,
    reload,
    close() {
      closed = true;
      clearTimeout(timer);
      clearInterval(poll);
      for (const w of watchers) w.close();
    },
  };
}
