import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { eventually, serviceEnv } from '@stargate/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { startGateway } from '../index.js';
import { startTestBed, testConfig } from '../testing/fixtures.js';
import { replaceFile, selfSignedCert } from '../testing/self-signed-cert.js';

/** The SHA-256 fingerprint of the certificate the server presents, over a fresh connection. */
function servedFingerprint(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), rejectUnauthorized: false }, () => {
      resolve(socket.getPeerX509Certificate()!.fingerprint256);
      socket.end();
    });
    socket.on('error', reject);
  });
}

/** GET trusting only the given certificate (what a client pinned to the gateway's CA does). */
function get(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function handshake(url: string, version: 'TLSv1.1' | 'TLSv1.2'): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(
      {
        host: hostname,
        port: Number(port),
        rejectUnauthorized: false,
        minVersion: version === 'TLSv1.1' ? 'TLSv1' : version,
        maxVersion: version,
        // Let this client offer the old protocol at all (OpenSSL 3 refuses it by default).
        ciphers: 'DEFAULT@SECLEVEL=0',
      },
      () => {
        resolve(`connected ${socket.getProtocol()}`);
        socket.end();
      },
    );
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(`refused ${err.code}`));
  });
}

describe('gateway TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-gw-tls-'));
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves HTTPS (TLS 1.2+ only) and switches to a replaced certificate without a restart', async () => {
    const first = selfSignedCert(dir, 'gateway-one');
    writeFileSync(certFile, first.cert);
    writeFileSync(keyFile, first.key);
    const bed = await startTestBed({ tls: { certFile, keyFile } });
    try {
      const url = bed.gw.url;
      expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const ready = await get(`${url}/health/ready`, first.cert);
      expect(ready.status).toBe(200);
      expect(await servedFingerprint(url)).toBe(first.fingerprint256);
      expect(await handshake(url, 'TLSv1.1')).toBe('refused ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
      expect(await handshake(url, 'TLSv1.2')).toBe('connected TLSv1.2');

      // Renewal (cert-manager writes the Secret, the kubelet swaps the files): same listener.
      const second = selfSignedCert(dir, 'gateway-two');
      replaceFile(keyFile, second.key);
      replaceFile(certFile, second.cert);
      await eventually(async () => (await servedFingerprint(url)) === second.fingerprint256);
      expect((await get(`${url}/health/live`, second.cert)).status).toBe(200);
      expect(bed.gw.url).toBe(url);

      // A broken pair (a key of another certificate) is refused; the good one stays served.
      const stray = selfSignedCert(dir, 'stray');
      replaceFile(keyFile, stray.key);
      expect(await bed.gw.tls!.reload()).toBe('rejected');
      expect(await servedFingerprint(url)).toBe(second.fingerprint256);
      const metrics = (await get(`${url}/metrics`, second.cert)).body;
      expect(metrics).toMatch(/gateway_tls_reloads_total\{result="applied"\} 1/);
      expect(metrics).toMatch(/gateway_tls_reloads_total\{result="rejected"\} [1-9]/);
      expect(metrics).toMatch(/gateway_tls_certificate_not_after_seconds \d/);
    } finally {
      await bed.close();
    }
  });

  it('refuses to start with a key that does not match the certificate, saying so', async () => {
    const a = selfSignedCert(dir, 'mismatch-a');
    const b = selfSignedCert(dir, 'mismatch-b');
    writeFileSync(join(dir, 'a.crt'), a.cert);
    writeFileSync(join(dir, 'b.key'), b.key);
    await expect(
      startGateway({
        config: testConfig(),
        redisUrl: serviceEnv().redisUrl,
        amqpUrl: serviceEnv().amqpUrl,
        tls: { certFile: join(dir, 'a.crt'), keyFile: join(dir, 'b.key') },
      }),
    ).rejects.toThrow(/^STARGATE_TLS_KEY_FILE: the key in .*b\.key does not belong to the certificate/);
  });
});
