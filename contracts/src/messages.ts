/**
 * Messages on the private link (RabbitMQ). Bodies are JSON CloudEvents 1.0 (structured mode);
 * AMQP properties mirror `id` (messageId), `type` and `time`, and headers carry the trace
 * context, correlation id and tenant (see AMQP_HEADERS).
 */
import type { PollingHints, ProcessError, ProcessPage, ProcessView } from './process.js';
import type { ProcessStatus } from './states.js';

export interface CloudEvent<T> {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  subject?: string;
  datacontenttype: 'application/json';
  /** Extension attributes (lower-case alphanumerics, as CloudEvents requires). */
  tenantid: string;
  correlationid?: string;
  data: T;
}

/** `stargate.requests` / routing key = process type: a new request (or a retry of a failed one). */
export interface ProcessRequestedData {
  processId: string;
  tenantId: string;
  clientId: string;
  processType: string;
  clientProcessId?: string;
  idempotencyKey?: string;
  /** sha-256 hex of the canonical request, for idempotency checks on the server. */
  payloadHash: string;
  data: unknown;
  submittedAt: string;
  /** 1 for the first run; retries carry the next attempt number. */
  attempt: number;
}

/** `stargate.events` / `<tenant>.<type>.<status>`: every state change, with a monotonically increasing version. */
export interface ProcessStateData extends ProcessView {
  tenantId: string;
}

/** `stargate.control` / `cancel.<processId>` or `retry.<processId>`. */
export interface ProcessCommandData {
  processId: string;
  tenantId: string;
  clientId: string;
  command: 'cancel' | 'retry';
  requestedAt: string;
}

/**
 * `stargate.audit`: one record per gateway request, stored append-only by the server. An
 * access record (`count` > 1) stands for several successful reads of one process by one
 * client within one batch: `time` is the first, `lastTime` the last, `correlationIds` all.
 */
export interface AuditRecordData {
  auditId: string;
  time: string;
  tenantId?: string;
  clientId?: string;
  action: string;
  method: string;
  route: string;
  processId?: string;
  processType?: string;
  outcome: 'success' | 'denied' | 'error';
  status: number;
  correlationId: string;
  remoteAddress?: string;
  count?: number;
  lastTime?: string;
  correlationIds?: string[];
}

/** `stargate.audit`, type `io.stargate.audit.batch`: records in the order the gateway made them. */
export interface AuditBatchData {
  records: AuditRecordData[];
}

/** `stargate.rpc`: request/reply queries from a gateway to the server (direct reply-to). */
export type RpcRequest =
  | { kind: 'get-process'; tenantId: string; processId: string }
  | {
      kind: 'list-processes';
      tenantId: string;
      status?: ProcessStatus;
      processType?: string;
      limit: number;
      cursor?: string;
    }
  /** A block of `count` process-id sequence numbers of the UTC `day` (YYYYMMDD), never handed out again. */
  | { kind: 'reserve-process-ids'; day: string; count: number }
  /**
   * While the gateway cannot use Redis: bind (tenant, idempotency key) to `processId` unless
   * the key is bound already; the answer names the process the key belongs to. With
   * `lookupOnly` (a key Redis does not know: new, or its record expired or was lost) nothing is
   * bound; the answer names the recorded process of the key, else `processId`. A key bound or
   * recorded with another `payloadHash` is refused with `IDEMPOTENCY_KEY_REUSED`.
   */
  | {
      kind: 'bind-idempotency-key';
      tenantId: string;
      idempotencyKey: string;
      processId: string;
      payloadHash?: string;
      lookupOnly?: boolean;
    };

export type RpcReply =
  | { ok: true; kind: 'get-process'; process: ProcessView | null }
  | { ok: true; kind: 'list-processes'; page: ProcessPage }
  /** Sequence numbers of `day`: each range is `first` … `first + count - 1`; at least the count asked for. */
  | { ok: true; kind: 'reserve-process-ids'; day: string; ranges: { first: number; count: number }[] }
  /** `recorded`: the key's process is recorded already, so the request needs no publishing again. */
  | { ok: true; kind: 'bind-idempotency-key'; processId: string; recorded?: boolean }
  | { ok: false; error: ProcessError };

export type { PollingHints };

export function cloudEvent<T>(
  attrs: {
    id: string;
    source: string;
    type: string;
    tenantId: string;
    correlationId?: string;
    subject?: string;
  },
  data: T,
  now: Date = new Date(),
): CloudEvent<T> {
  return {
    specversion: '1.0',
    id: attrs.id,
    source: attrs.source,
    type: attrs.type,
    time: now.toISOString(),
    ...(attrs.subject !== undefined ? { subject: attrs.subject } : {}),
    datacontenttype: 'application/json',
    tenantid: attrs.tenantId,
    ...(attrs.correlationId !== undefined ? { correlationid: attrs.correlationId } : {}),
    data,
  };
}
