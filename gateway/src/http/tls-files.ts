import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext, type SecureContextOptions } from 'node:tls';

/** Where the gateway's serving certificate lives (PEM files, e.g. a mounted `kubernetes.io/tls` Secret). */
export interface TlsFiles {
  /** The certificate, optionally followed by its intermediates (a full chain). */
  certFile: string;
  keyFile: string;
  /** Intermediates to send after the certificate when certFile holds only the leaf. */
  caFile?: string;
}

/** Everything the HTTPS listener needs, checked: the key matches the certificate. */
export interface LoadedTls {
  options: SecureContextOptions & { minVersion: 'TLSv1.2' };
  /** SHA-256 fingerprint of the leaf certificate (what a client sees), for logs and tests. */
  fingerprint256: string;
  subject: string;
  notAfter: Date;
  /** The files' text, to tell a real change from a touch. */
  text: string;
}

/** Protocol floor whatever Node's own default (`--tls-min-v1.0` lowers that one). */
export const TLS_MIN_VERSION = 'TLSv1.2' as const;

async function read(env: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`${env}: cannot read ${path}: ${(err as Error).message}`);
  }
}

/**
 * Reads and checks the certificate, key and optional chain. Every failure names the setting and
 * the file: unreadable, not PEM, the key not belonging to the certificate.
 */
export async function loadTlsFiles(files: TlsFiles): Promise<LoadedTls> {
  const [cert, key, ca] = await Promise.all([
    read('STARGATE_TLS_CERT_FILE', files.certFile),
    read('STARGATE_TLS_KEY_FILE', files.keyFile),
    files.caFile ? read('STARGATE_TLS_CA_FILE', files.caFile) : Promise.resolve(undefined),
  ]);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (err) {
    throw new Error(
      `STARGATE_TLS_CERT_FILE: ${files.certFile} is not a PEM certificate: ${(err as Error).message}`,
    );
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new Error(
      `STARGATE_TLS_KEY_FILE: ${files.keyFile} is not a PEM private key (or it is encrypted): ${(err as Error).message}`,
    );
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new Error(
      `STARGATE_TLS_KEY_FILE: the key in ${files.keyFile} does not belong to the certificate in ${files.certFile} (${leaf.subject.replace(/\n/g, ', ')})`,
    );
  }
  if (ca !== undefined) {
    try {
      new X509Certificate(ca);
    } catch (err) {
      throw new Error(
        `STARGATE_TLS_CA_FILE: ${files.caFile} is not a PEM certificate: ${(err as Error).message}`,
      );
    }
  }
  // The served chain: the certificate file, then the intermediates given apart.
  const chain = ca !== undefined ? `${cert.trimEnd()}\n${ca}` : cert;
  const options = { cert: chain, key, minVersion: TLS_MIN_VERSION };
  try {
    createSecureContext(options);
  } catch (err) {
    throw new Error(`STARGATE_TLS_CERT_FILE: OpenSSL refused the certificate: ${(err as Error).message}`);
  }
  return {
    options,
    fingerprint256: leaf.fingerprint256,
    subject: leaf.subject.replace(/\n/g, ', '),
    notAfter: new Date(leaf.validTo),
    text: `${cert}\0${key}\0${ca ?? ''}`,
  };
}
