import type { AuditRecordData, CloudEvent } from '@stargate/contracts';
import type { ConsumeMessage } from 'amqplib';
import type { AuditLog } from '../store/audit-log.js';
import { MalformedMessageError, parseJson } from './request-message.js';

function isRecord(record: Partial<AuditRecordData> | undefined): record is AuditRecordData {
  return (
    !!record &&
    typeof record.auditId === 'string' &&
    typeof record.time === 'string' &&
    !Number.isNaN(new Date(record.time).getTime())
  );
}

/**
 * Stores the gateway audit records of one message (a CloudEvent on stargate.audit whose data is
 * one record, or an array of them) in the append-only audit_log; the log writes in batches.
 */
export async function handleAuditRecord(audit: AuditLog, msg: ConsumeMessage): Promise<void> {
  const event = parseJson(msg) as Partial<CloudEvent<unknown>> | null;
  const data = event?.data;
  const records = (Array.isArray(data) ? data : [data]) as (Partial<AuditRecordData> | undefined)[];
  if (records.length === 0 || !records.every(isRecord))
    throw new MalformedMessageError('not an audit record');
  await Promise.all(records.map((r) => audit.append(r)));
}
