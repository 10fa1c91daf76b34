import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { selfSignedCert } from '../testing/self-signed-cert.js';
import { loadTlsFiles } from './tls-files.js';

describe('gateway TLS files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-tls-files-'));
  const a = selfSignedCert(dir, 'cert-a');
  const b = selfSignedCert(dir, 'cert-b');
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('loads a matching certificate and key, with TLS 1.2 as the floor', async () => {
    const loaded = await loadTlsFiles({ certFile: file('a.crt', a.cert), keyFile: file('a.key', a.key) });
    expect(loaded.fingerprint256).toBe(a.fingerprint256);
    expect(loaded.subject).toBe('CN=cert-a');
    expect(loaded.options.minVersion).toBe('TLSv1.2');
    const withChain = await loadTlsFiles({
      certFile: file('a.crt', a.cert),
      keyFile: file('a.key', a.key),
      caFile: file('chain.crt', b.cert),
    });
    expect(withChain.options.cert).toContain(b.cert.trim());
  });

  it('names the setting and the file when a file cannot be read', async () => {
    await expect(
      loadTlsFiles({ certFile: join(dir, 'missing.crt'), keyFile: file('a.key', a.key) }),
    ).rejects.toThrow(/^STARGATE_TLS_CERT_FILE: cannot read .*missing\.crt: ENOENT/);
    await expect(
      loadTlsFiles({ certFile: file('a.crt', a.cert), keyFile: join(dir, 'missing.key') }),
    ).rejects.toThrow(/^STARGATE_TLS_KEY_FILE: cannot read .*missing\.key/);
  });

  it('refuses a key that does not belong to the certificate, and files that are not PEM', async () => {
    await expect(
      loadTlsFiles({ certFile: file('a.crt', a.cert), keyFile: file('b.key', b.key) }),
    ).rejects.toThrow(
      /^STARGATE_TLS_KEY_FILE: the key in .*b\.key does not belong to the certificate in .*a\.crt \(CN=cert-a\)/,
    );
    await expect(
      loadTlsFiles({ certFile: file('junk.crt', 'not a certificate'), keyFile: file('a.key', a.key) }),
    ).rejects.toThrow(/^STARGATE_TLS_CERT_FILE: .*junk\.crt is not a PEM certificate/);
    await expect(
      loadTlsFiles({ certFile: file('a.crt', a.cert), keyFile: file('junk.key', a.cert) }),
    ).rejects.toThrow(/^STARGATE_TLS_KEY_FILE: .*junk\.key is not a PEM private key/);
    await expect(
      loadTlsFiles({
        certFile: file('a.crt', a.cert),
        keyFile: file('a.key', a.key),
        caFile: file('junk-ca.crt', 'nope'),
      }),
    ).rejects.toThrow(/^STARGATE_TLS_CA_FILE: .*junk-ca\.crt is not a PEM certificate/);
  });
});
