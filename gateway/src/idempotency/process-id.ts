import { createHash, randomUUID } from 'node:crypto';

/**
 * The process id of a submission. With an idempotency key it is derived from (tenant, key):
 * when a publish confirm is lost with the connection, the broker may still hold the message,
 * so the client's resend with the same key must name the same process — the server then sees
 * a redelivery of one process instead of a second process with a reused key.
 * Without a key there is nothing to derive from, and a random id is used.
 */
export function processIdFor(tenantId: string, idempotencyKey: string | undefined): string {
  if (idempotencyKey === undefined) return randomUUID();
  const b = createHash('sha256')
    .update(`stargate:process:${tenantId}\0${idempotencyKey}`)
    .digest()
    .subarray(0, 16);
  // RFC 9562 UUIDv8 (custom): version 8 in the high nibble of byte 6, variant 10 in byte 8.
  b[6] = (b[6]! & 0x0f) | 0x80;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
