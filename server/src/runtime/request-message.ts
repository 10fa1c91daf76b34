import {
  AMQP_HEADERS,
  type CloudEvent,
  isValidCorrelationId,
  type ProcessRequestedData,
} from '@stargate/contracts';
import type { ConsumeMessage } from 'amqplib';

export class MalformedMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedMessageError';
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseJson(msg: ConsumeMessage): unknown {
  try {
    return JSON.parse(msg.content.toString('utf8'));
  } catch {
    throw new MalformedMessageError('body is not JSON');
  }
}

/** The CloudEvent's data, checked field by field: this is input from another zone. */
export function parseRequest(msg: ConsumeMessage): ProcessRequestedData {
  const event = parseJson(msg) as Partial<CloudEvent<unknown>>;
  const d = isObject(event) ? event.data : undefined;
  if (!isObject(d)) throw new MalformedMessageError('no CloudEvent data');
  for (const field of [
    'processId',
    'tenantId',
    'clientId',
    'processType',
    'payloadHash',
    'submittedAt',
  ] as const) {
    if (typeof d[field] !== 'string' || d[field] === '')
      throw new MalformedMessageError(`data.${field} must be a non-empty string`);
  }
  if (!Number.isInteger(d.attempt) || (d.attempt as number) < 1)
    throw new MalformedMessageError('data.attempt must be a positive integer');
  for (const field of ['clientProcessId', 'idempotencyKey'] as const) {
    if (d[field] !== undefined && typeof d[field] !== 'string')
      throw new MalformedMessageError(`data.${field} must be a string`);
  }
  return d as unknown as ProcessRequestedData;
}

/** Correlation id from the AMQP header, else the CloudEvent attribute, else the process id. */
export function correlationIdOf(msg: ConsumeMessage, fallback: string): string {
  const header = msg.properties.headers?.[AMQP_HEADERS.correlationId];
  if (isValidCorrelationId(header)) return header;
  try {
    const event = JSON.parse(msg.content.toString('utf8')) as { correlationid?: unknown };
    if (isValidCorrelationId(event.correlationid)) return event.correlationid;
  } catch {
    // Not JSON: the caller rejects it anyway.
  }
  return fallback;
}
