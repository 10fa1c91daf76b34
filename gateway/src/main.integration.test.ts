import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { selfSignedCert } from './testing/self-signed-cert.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** The container entry point (built by `tsc -b`), as the chart starts it. */
function runMain(env: Record<string, string>) {
  return spawnSync(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      // Never contacted: the TLS files are checked before any connection.
      STARGATE_REDIS_URL: 'redis://127.0.0.1:1',
      STARGATE_AMQP_URL: 'amqp://127.0.0.1:1',
      STARGATE_CONFIG_FILE: '/nonexistent/gateway.yaml',
      STARGATE_SIGNING_KEYS_DIR: '/nonexistent',
      ...env,
    },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('gateway entry point with TLS files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-gw-main-tls-'));
  const a = selfSignedCert(dir, 'main-a');
  const b = selfSignedCert(dir, 'main-b');
  writeFileSync(join(dir, 'a.crt'), a.cert);
  writeFileSync(join(dir, 'b.key'), b.key);

  it('exits 1 at once naming the setting when the key does not belong to the certificate', () => {
    const started = Date.now();
    const run = runMain({
      STARGATE_TLS_CERT_FILE: join(dir, 'a.crt'),
      STARGATE_TLS_KEY_FILE: join(dir, 'b.key'),
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      `gateway failed to start: STARGATE_TLS_KEY_FILE: the key in ${join(dir, 'b.key')} does not belong to the certificate in ${join(dir, 'a.crt')} (CN=main-a)`,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('exits 1 naming an unreadable file, and 2 when only one of the pair is set', () => {
    const unreadable = runMain({
      STARGATE_TLS_CERT_FILE: join(dir, 'missing.crt'),
      STARGATE_TLS_KEY_FILE: join(dir, 'b.key'),
    });
    expect(unreadable.status).toBe(1);
    expect(unreadable.stderr).toContain(
      `gateway failed to start: STARGATE_TLS_CERT_FILE: cannot read ${join(dir, 'missing.crt')}`,
    );
    const half = runMain({ STARGATE_TLS_CERT_FILE: join(dir, 'a.crt') });
    expect(half.status).toBe(2);
    expect(half.stderr).toContain('STARGATE_TLS_CERT_FILE and STARGATE_TLS_KEY_FILE must be set together');
  });
});
