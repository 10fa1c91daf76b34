/**
 * RabbitMQ names and arguments of the private link. Both zones declare what they use with
 * exactly these arguments (a mismatch is a channel error), so they live here.
 */
export const EXCHANGES = {
  requests: 'stargate.requests', // direct, routing key = process type
  events: 'stargate.events', // topic, routing key = <tenant>.<type>.<status>
  control: 'stargate.control', // topic, routing key = cancel.<processId> | retry.<processId>
  audit: 'stargate.audit', // direct
  dead: 'stargate.dead', // fanout, the dead-letter sink
  retry: 'stargate.retry', // direct, routing key = process type: delayed redelivery
} as const;

export const QUEUES = {
  gatewayEvents: 'stargate.gateway.events',
  rpc: 'stargate.rpc',
  audit: 'stargate.audit',
  dead: 'stargate.dead',
  /** Durable: the server's command consumer (cancel/retry bookkeeping in MongoDB). */
  control: 'stargate.control.commands',
} as const;

/** Work queue of one process type. */
export function processQueue(processType: string): string {
  return `stargate.process.${processType}`;
}

/** Delay queue of one process type: messages wait out their TTL, then dead-letter back to the work queue. */
export function retryQueue(processType: string): string {
  return `stargate.retry.${processType}`;
}

/**
 * How many runs of one request may end without an outcome (the worker died or stalled past its
 * lease) before the server fails the process with DELIVERY_LIMIT_EXCEEDED. The server counts
 * them on the process record; requeues caused by shutdowns, channel losses and store outages
 * do not count.
 */
export const DEFAULT_DELIVERY_LIMIT = 5;

/**
 * The broker's own `x-delivery-limit` on a work queue: a backstop far above the counted limit
 * (a message that keeps coming back without ever reaching a handler still ends in the
 * dead-letter sink, which marks its process failed).
 */
export const BROKER_DELIVERY_BACKSTOP = 50;

/** The work queue's `x-delivery-limit` for a counted limit of `deliveryLimit` failed runs. */
export function brokerDeliveryLimit(deliveryLimit = DEFAULT_DELIVERY_LIMIT): number {
  return Math.max(BROKER_DELIVERY_BACKSTOP, 10 * deliveryLimit);
}

/**
 * Requests a type's work queue holds at most (`x-max-length`). When it is full, RabbitMQ
 * refuses new ones (`x-overflow: reject-publish`: the publish is nacked) and the gateway
 * answers 503 + Retry-After, so overload is shed at the door instead of queueing for hours.
 */
export const DEFAULT_MAX_QUEUE_LENGTH = 10_000;

/** Per-type settings of the work queue (ProcessType `spec.queue`). */
export interface ProcessQueueSettings {
  maxLength?: number;
  deliveryLimit?: number;
}

/**
 * Every argument set explicitly, so that the queue behaves the same on RabbitMQ 3.x and 4.x
 * (4.x changed the quorum queue's default delivery limit from unlimited to 20).
 */
export function processQueueArguments(settings: ProcessQueueSettings = {}): Record<string, unknown> {
  return {
    'x-queue-type': 'quorum',
    'x-delivery-limit': brokerDeliveryLimit(settings.deliveryLimit),
    'x-dead-letter-exchange': EXCHANGES.dead,
    'x-dead-letter-strategy': 'at-most-once',
    'x-max-length': settings.maxLength ?? DEFAULT_MAX_QUEUE_LENGTH,
    'x-overflow': 'reject-publish',
  };
}

/**
 * A retry waits out its TTL here, then is dead-lettered back to the work queue. At-least-once
 * dead-lettering (which needs `reject-publish`) keeps it while the work queue is full instead
 * of dropping it: a retry belongs to an accepted process and must not be lost.
 */
export function retryQueueArguments(processType: string): Record<string, unknown> {
  return {
    'x-queue-type': 'quorum',
    'x-dead-letter-exchange': EXCHANGES.requests,
    'x-dead-letter-routing-key': processType,
    'x-dead-letter-strategy': 'at-least-once',
    'x-overflow': 'reject-publish',
  };
}

export const QUORUM_QUEUE_ARGUMENTS: Readonly<Record<string, unknown>> = { 'x-queue-type': 'quorum' };

/**
 * The gateways' state event queue, with its limits explicit so behaviour does not depend on
 * the broker's version (RabbitMQ 4 defaults quorum queues to 20 deliveries and then drops).
 * The projector holds events while Redis fails instead of requeueing them, so only channel
 * losses count; a state event past the limit goes to the dead-letter sink, not nowhere.
 */
export const GATEWAY_EVENTS_DELIVERY_LIMIT = 100;

export function gatewayEventsQueueArguments(): Record<string, unknown> {
  return {
    'x-queue-type': 'quorum',
    'x-delivery-limit': GATEWAY_EVENTS_DELIVERY_LIMIT,
    'x-dead-letter-exchange': EXCHANGES.dead,
  };
}

/** Routing key of a state event. Tenant and type are DNS-label-like, so no dots inside. */
export function eventRoutingKey(tenantId: string, processType: string, status: string): string {
  return `${tenantId}.${processType}.${status}`;
}

export function cancelRoutingKey(processId: string): string {
  return `cancel.${processId}`;
}

export function retryRoutingKey(processId: string): string {
  return `retry.${processId}`;
}

/** CloudEvents `type` attributes of the messages on the link. */
export const MESSAGE_TYPES = {
  processRequested: 'io.stargate.process.requested',
  processState: 'io.stargate.process.state',
  processCancel: 'io.stargate.process.cancel',
  processRetry: 'io.stargate.process.retry',
  audit: 'io.stargate.audit',
  auditBatch: 'io.stargate.audit.batch',
  rpcGetProcess: 'io.stargate.rpc.get-process',
  rpcListProcesses: 'io.stargate.rpc.list-processes',
} as const;
