import type { AuditRecordData, CloudEvent } from '@stargate/contracts';
import type { ConsumeMessage } from 'amqplib';
import type { AuditLog } from '../store/audit-log.js';
import { MalformedMessageError, parseJson } from './request-message.js';

function isRecord(value: unknown): value is AuditRecordData {
  const r = value as Partial<AuditRecordData> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.auditId === 'string' &&
    typeof r.time === 'string' &&
    !Number.isNaN(new Date(r.time).getTime())
  );
}

/**
 * Stores gateway audit records (a CloudEvent on stargate.audit) in the append-only audit_log:
 * a batch (`data.records`, in the order the gateway made them) with one insertMany, or a
 * single record as older gateways send it. Malformed records are not stored; the message is
 * then dead-lettered (after the good records of its batch are stored) so nothing is dropped
 * unseen.
 */
export async function handleAuditRecord(audit: AuditLog, msg: ConsumeMessage): Promise<void> {
  const event = parseJson(msg) as Partial<CloudEvent<unknown>> | null;
  const data = event?.data as { records?: unknown } | undefined;
  const items = Array.isArray(data?.records) ? data.records : [data];
  const good = items.filter(isRecord);
  if (good.length > 0) await audit.appendMany(good);
  if (good.length < items.length || items.length === 0)
    throw new MalformedMessageError(
      `${items.length - good.length} of ${items.length} audit records are malformed`,
    );
}
