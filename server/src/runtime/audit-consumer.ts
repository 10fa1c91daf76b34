import type { AuditRecordData, CloudEvent } from '@stargate/contracts';
import type { ConsumeMessage } from 'amqplib';
import type { AuditLog } from '../store/audit-log.js';
import { MalformedMessageError, parseJson } from './request-message.js';

/** Stores one gateway audit record (a CloudEvent on stargate.audit) in the append-only audit_log. */
export async function handleAuditRecord(audit: AuditLog, msg: ConsumeMessage): Promise<void> {
  const event = parseJson(msg) as Partial<CloudEvent<Partial<AuditRecordData>>> | null;
  const record = event?.data;
  if (
    !record ||
    typeof record.auditId !== 'string' ||
    typeof record.time !== 'string' ||
    Number.isNaN(new Date(record.time).getTime())
  )
    throw new MalformedMessageError('not an audit record');
  await audit.append(record as AuditRecordData);
}
