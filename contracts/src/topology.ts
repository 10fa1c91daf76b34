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
 * Deliveries of one message before RabbitMQ gives up on it (quorum queue `x-delivery-limit`),
 * one value per queue, each in one place. Set on every quorum queue, so behaviour does not
 * depend on the broker's version (RabbitMQ 4 changed the default from unlimited to 20).
 */
export const DELIVERY_LIMITS = {
  /**
   * A process type's work queue: the counted limit (ProcessType `spec.queue.deliveryLimit`
   * overrides it); the queue's own `x-delivery-limit` is brokerDeliveryLimit() of it.
   */
  process: DEFAULT_DELIVERY_LIMIT,
  /**
   * The gateways' state event queue. The projector holds events while Redis fails instead of
   * requeueing them, so only channel losses count; past the limit an event goes to the sink.
   */
  gatewayEvents: 100,
  /** Cancel/retry commands and audit records: the server gives up on its own after 10 failures. */
  control: 20,
  audit: 20,
  /** The server's copy of every dead letter (marks the process failed). */
  serverDeadLetters: 5,
  /** Queries carry a deadline (message TTL); one that keeps failing is dropped, the caller times out. */
  rpc: 5,
  /** The operators' dead-letter sink: nothing consumes it; a peek that requeues counts too. */
  dead: 1000,
} as const;

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

/** How the broker is laid out, as far as queue arguments depend on it. */
export interface TopologyOptions {
  /**
   * `x-quorum-initial-group-size` of every quorum queue: on how many nodes a new queue gets a
   * replica. Undefined = not set (one node: RabbitMQ uses the cluster's size). See
   * quorumInitialGroupSize().
   */
  quorumInitialGroupSize?: number;
}

/**
 * The initial group size for a broker reached through `brokerCount` addresses: an explicit
 * setting wins; several addresses mean a cluster, where 3 replicas survive the loss of one
 * node; one address leaves it unset, so single-node installations keep their queues as they are
 * (RabbitMQ compares this argument when a queue is declared again).
 */
export function quorumInitialGroupSize(brokerCount: number, explicit?: number): number | undefined {
  if (explicit !== undefined) return explicit;
  return brokerCount > 1 ? 3 : undefined;
}

function quorum(options: TopologyOptions, deliveryLimit: number): Record<string, unknown> {
  return {
    'x-queue-type': 'quorum',
    ...(options.quorumInitialGroupSize !== undefined
      ? { 'x-quorum-initial-group-size': options.quorumInitialGroupSize }
      : {}),
    'x-delivery-limit': deliveryLimit,
  };
}

/**
 * Every argument set explicitly, so that the queue behaves the same on RabbitMQ 3.x and 4.x
 * (4.x changed the quorum queue's default delivery limit from unlimited to 20).
 */
export function processQueueArguments(
  settings: ProcessQueueSettings = {},
  options: TopologyOptions = {},
): Record<string, unknown> {
  return {
    ...quorum(options, brokerDeliveryLimit(settings.deliveryLimit ?? DELIVERY_LIMITS.process)),
    'x-dead-letter-exchange': EXCHANGES.dead,
    'x-dead-letter-strategy': 'at-most-once',
    'x-max-length': settings.maxLength ?? DEFAULT_MAX_QUEUE_LENGTH,
    'x-overflow': 'reject-publish',
  };
}

/**
 * A retry waits out its TTL here, then is dead-lettered back to the work queue. At-least-once
 * dead-lettering (which needs `reject-publish`) keeps it while the work queue is full instead
 * of dropping it: a retry belongs to an accepted process and must not be lost. Nothing consumes
 * it, so it has no delivery limit of its own to spend.
 */
export function retryQueueArguments(
  processType: string,
  options: TopologyOptions = {},
): Record<string, unknown> {
  return {
    'x-queue-type': 'quorum',
    ...(options.quorumInitialGroupSize !== undefined
      ? { 'x-quorum-initial-group-size': options.quorumInitialGroupSize }
      : {}),
    'x-dead-letter-exchange': EXCHANGES.requests,
    'x-dead-letter-routing-key': processType,
    'x-dead-letter-strategy': 'at-least-once',
    'x-overflow': 'reject-publish',
  };
}

/** The bare quorum type, for tests that declare a queue of their own. */
export const QUORUM_QUEUE_ARGUMENTS: Readonly<Record<string, unknown>> = { 'x-queue-type': 'quorum' };

/** Kept for callers of the earlier name: DELIVERY_LIMITS.gatewayEvents. */
export const GATEWAY_EVENTS_DELIVERY_LIMIT = DELIVERY_LIMITS.gatewayEvents;

export function gatewayEventsQueueArguments(options: TopologyOptions = {}): Record<string, unknown> {
  return {
    ...quorum(options, DELIVERY_LIMITS.gatewayEvents),
    'x-dead-letter-exchange': EXCHANGES.dead,
  };
}

// ---------------------------------------------------------------- the table

export type ExchangeType = 'direct' | 'topic' | 'fanout';

/** The two sides of the private link. */
export type Zone = 'gateway' | 'server';

/**
 * Every exchange of the link with its type and the zones that declare it (each zone declares
 * only what it uses: the gateway's broker user may configure nothing else, see
 * charts/stargate/files/rabbitmq-permissions.json).
 */
export const EXCHANGE_TABLE: readonly { name: string; type: ExchangeType; zones: readonly Zone[] }[] = [
  { name: EXCHANGES.requests, type: 'direct', zones: ['gateway', 'server'] },
  { name: EXCHANGES.events, type: 'topic', zones: ['gateway', 'server'] },
  { name: EXCHANGES.control, type: 'topic', zones: ['gateway', 'server'] },
  { name: EXCHANGES.audit, type: 'direct', zones: ['gateway', 'server'] },
  { name: EXCHANGES.dead, type: 'fanout', zones: ['gateway', 'server'] },
  { name: EXCHANGES.retry, type: 'direct', zones: ['server'] },
];

/** The exchanges a zone declares, from the table. */
export function exchangesOf(zone: Zone): readonly { name: string; type: ExchangeType }[] {
  return EXCHANGE_TABLE.filter((e) => e.zones.includes(zone));
}

/** A queue, its arguments and its bindings, as the zone that owns it declares it. */
export interface QueueDeclaration {
  name: string;
  arguments: Record<string, unknown>;
  bindings: readonly { exchange: string; routingKey: string }[];
}

/** The server's copy of every dead letter, to mark the process failed (QUEUES.dead stays for operators). */
export const SERVER_DEAD_LETTER_QUEUE = 'stargate.server.dead-letters';

/** The queues the gateway owns (it publishes to the server's queues through their exchanges). */
export function gatewayQueues(options: TopologyOptions = {}): QueueDeclaration[] {
  return [
    {
      name: QUEUES.gatewayEvents,
      arguments: gatewayEventsQueueArguments(options),
      bindings: [{ exchange: EXCHANGES.events, routingKey: '#' }],
    },
  ];
}

/**
 * The queues every worker declares, besides the per-type ones (processQueueArguments,
 * retryQueueArguments). The dead-letter sinks have no dead-letter exchange of their own (it
 * would loop), and neither have queries: an expired query (they carry a TTL) is simply dropped.
 */
export function serverQueues(options: TopologyOptions = {}): QueueDeclaration[] {
  return [
    {
      name: QUEUES.dead,
      arguments: quorum(options, DELIVERY_LIMITS.dead),
      bindings: [{ exchange: EXCHANGES.dead, routingKey: '' }],
    },
    {
      name: SERVER_DEAD_LETTER_QUEUE,
      arguments: quorum(options, DELIVERY_LIMITS.serverDeadLetters),
      bindings: [{ exchange: EXCHANGES.dead, routingKey: '' }],
    },
    {
      name: QUEUES.control,
      arguments: { ...quorum(options, DELIVERY_LIMITS.control), 'x-dead-letter-exchange': EXCHANGES.dead },
      bindings: [
        { exchange: EXCHANGES.control, routingKey: 'cancel.*' },
        { exchange: EXCHANGES.control, routingKey: 'retry.*' },
      ],
    },
    { name: QUEUES.rpc, arguments: quorum(options, DELIVERY_LIMITS.rpc), bindings: [] },
    {
      name: QUEUES.audit,
      arguments: { ...quorum(options, DELIVERY_LIMITS.audit), 'x-dead-letter-exchange': EXCHANGES.dead },
      // The audit exchange is direct; the gateway publishes with routing key = the queue name.
      bindings: [
        { exchange: EXCHANGES.audit, routingKey: QUEUES.audit },
        { exchange: EXCHANGES.audit, routingKey: '' },
      ],
    },
  ];
}

/** A process type's work queue and retry queue. */
export function processTypeQueues(
  processType: string,
  settings: ProcessQueueSettings = {},
  options: TopologyOptions = {},
): QueueDeclaration[] {
  return [
    {
      name: processQueue(processType),
      arguments: processQueueArguments(settings, options),
      bindings: [{ exchange: EXCHANGES.requests, routingKey: processType }],
    },
    {
      name: retryQueue(processType),
      arguments: retryQueueArguments(processType, options),
      bindings: [{ exchange: EXCHANGES.retry, routingKey: processType }],
    },
  ];
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
