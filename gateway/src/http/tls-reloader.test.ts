import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../observability/logger.js';
import { createMetrics } from '../observability/metrics.js';
import { selfSignedCert, type TestCert } from '../testing/self-signed-cert.js';
import { loadTlsFiles } from './tls-files.js';
import { type TlsReloader, watchTlsFiles } from './tls-reloader.js';

function served(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerX509Certificate()!.fingerprint256);
      socket.end();
    });
    socket.on('error', reject);
  });
}

async function until(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A Secret volume as the kubelet writes it: the files are symlinks through `..data`, itself a
 * symlink to a timestamped folder; an update writes a new folder and renames a new `..data`
 * over the old one (one atomic swap of both files).
 */
function secretVolume(dir: string) {
  let n = 0;
  const publish = (pair: TestCert) => {
    const folder = `..2026_11_26_${n++}`;
    mkdirSync(join(dir, folder));
    writeFileSync(join(dir, folder, 'tls.crt'), pair.cert);
    writeFileSync(join(dir, folder, 'tls.key'), pair.key);
    symlinkSync(folder, join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  };
  return {
    first(pair: TestCert) {
      publish(pair);
      symlinkSync('..data/tls.crt', join(dir, 'tls.crt'));
      symlinkSync('..data/tls.key', join(dir, 'tls.key'));
    },
    update: publish,
  };
}

describe('TLS reloader', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanup.splice(0)) c();
  });

  it('follows a Kubernetes Secret volume update (the ..data symlink swap) on the same listener', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-tls-volume-'));
    const certs = mkdtempSync(join(tmpdir(), 'sg-tls-certs-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    cleanup.push(() => rmSync(certs, { recursive: true, force: true }));
    const volume = secretVolume(dir);
    const one = selfSignedCert(certs, 'volume-one');
    const two = selfSignedCert(certs, 'volume-two');
    volume.first(one);
    const files = { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') };
    const initial = await loadTlsFiles(files);
    const server: Server = createServer(initial.options, (_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => server.close());
    const port = (server.address() as { port: number }).port;
    const metrics = createMetrics();
    const reloader: TlsReloader = watchTlsFiles({
      files,
      initial,
      server,
      logger: createLogger({ level: 'silent' }),
      metrics,
      debounceMs: 20,
      // Long enough that only the folder watch can explain a reload within the test.
      pollMs: 600_000,
    });
    cleanup.push(() => reloader.close());

    expect(await served(port)).toBe(one.fingerprint256);
    volume.update(two);
    await until(async () => (await served(port)) === two.fingerprint256);
    expect(reloader.current().subject).toBe('CN=volume-two');
    expect(await metrics.registry.getSingleMetricAsString('gateway_tls_reloads_total')).toContain(
      'gateway_tls_reloads_total{result="applied"} 1',
    );
    // Touching the files without changing them is not a reload.
    expect(await reloader.reload()).toBe('unchanged');
  });
});
