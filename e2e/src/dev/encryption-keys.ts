/**
 * The encryption key Secret the chart generates in the private namespace (server.encryption):
 * the operator checks for it before making a handler and hands it to the handler pods. `make
 * dev` makes one per namespace, once, and gives the local handler workers the same keys.
 */
import { randomBytes } from 'node:crypto';
import type { Kubectl } from './kubectl.js';

/** The operator's default STARGATE_ENCRYPTION_KEYS_SECRET_NAME and _KEY. */
const SECRET = 'stargate-encryption-keys';
const KEY = 'keys';

export async function ensureEncryptionKeys(k: Kubectl): Promise<string> {
  const existing = await k.secretValue(SECRET, KEY);
  if (existing) return existing;
  const keys = `k1:${randomBytes(32).toString('base64')}`;
  // Through stdin: a key on kubectl's command line would show in the process list.
  await k.run(['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: SECRET, namespace: k.namespace },
      type: 'Opaque',
      stringData: { [KEY]: keys },
    }),
  });
  return keys;
}
