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

/** How many deliveries of one message before RabbitMQ dead-letters it (quorum queue `x-delivery-limit`). */
export const DEFAULT_DELIVERY_LIMIT = 5;

export function processQueueArguments(deliveryLimit = DEFAULT_DELIVERY_LIMIT): Record<string, unknown> {
  return {
    'x-queue-type': 'quorum',
    'x-delivery-limit': deliveryLimit,
    'x-dead-letter-exchange': EXCHANGES.dead,
  };
}

export function retryQueueArguments(processType: string): Record<string, unknown> {
  return {
    'x-queue-type': 'quorum',
    'x-dead-letter-exchange': EXCHANGES.requests,
    'x-dead-letter-routing-key': processType,
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
  rpcGetProcess: 'io.stargate.rpc.get-process',
  rpcListProcesses: 'io.stargate.rpc.list-processes',
} as const;
