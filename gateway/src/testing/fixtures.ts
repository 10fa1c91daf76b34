/**
 * Test support (not used by the gateway itself): a GatewayConfig with two tenants, and a small
 * stand-in for the server tier on a real RabbitMQ vhost — it declares a work queue, records
 * requests, answers RPC queries from its own memory and publishes state events.
 */
import {
  cloudEvent,
  EXCHANGES,
  type GatewayConfig,
  hashClientSecret,
  MESSAGE_TYPES,
  type ProcessRequestedData,
  type ProcessStateData,
  processQueue,
  QUEUES,
  QUORUM_QUEUE_ARGUMENTS,
  type RpcReply,
  type RpcRequest,
} from '@stargate/contracts';
import { createVhost, redisPrefix, serviceEnv, type Vhost } from '@stargate/testkit';
import { type ChannelModel, type ConfirmChannel, connect } from 'amqplib';
import { type RunningGateway, type StartGatewayOptions, startGateway } from '../index.js';

export const SECRETS = { alpha: 'alpha-secret-0123456789', beta: 'beta-secret-0123456789' } as const;

const hashes = { alpha: hashClientSecret(SECRETS.alpha), beta: hashClientSecret(SECRETS.beta) };

export function testConfig(
  overrides: { revision?: string; alphaSuspended?: boolean; burst?: number; rpm?: number } = {},
): GatewayConfig {
  const orderSchema = {
    type: 'object',
    required: ['sku', 'quantity'],
    additionalProperties: false,
    properties: { sku: { type: 'string', minLength: 1 }, quantity: { type: 'integer', minimum: 1 } },
  };
  const polling = {
    firstPollSeconds: 1,
    fastIntervalSeconds: 2,
    fastPhaseSeconds: 30,
    slowIntervalSeconds: 10,
    maxTimeoutSeconds: 600,
  };
  return {
    revision: overrides.revision ?? 'r1',
    processTypes: [
      {
        name: 'order',
        requestSchema: orderSchema,
        polling,
        maxPayloadBytes: 1024,
        timeoutSeconds: 60,
        estimatedDurationSeconds: 5,
      },
      {
        name: 'shipment',
        requestSchema: { type: 'object' },
        polling,
        maxPayloadBytes: 4096,
        timeoutSeconds: 60,
      },
    ],
    tenants: [
      {
        id: 'alpha',
        displayName: 'Alpha',
        clientId: 'alpha-client',
        clientSecretHash: hashes.alpha,
        processTypes: [
          { name: 'order', operations: ['submit', 'read', 'cancel'] },
          { name: 'shipment', operations: ['read'] },
        ],
        rateLimit: { requestsPerMinute: overrides.rpm ?? 6000, burst: overrides.burst ?? 1000 },
        suspended: overrides.alphaSuspended ?? false,
      },
      {
        id: 'beta',
        displayName: 'Beta',
        clientId: 'beta-client',
        clientSecretHash: hashes.beta,
        processTypes: [{ name: 'order', operations: ['submit', 'read', 'cancel'] }],
        rateLimit: { requestsPerMinute: 6000, burst: 1000 },
        suspended: false,
      },
    ],
  };
}

export interface Received {
  event: { id: string; type: string; data: ProcessRequestedData };
  headers: Record<string, unknown>;
}

export interface FakeServer {
  requests: Received[];
  commands: { routingKey: string; body: unknown }[];
  rpcCalls: RpcRequest[];
  /** Known processes, as the server's MongoDB would hold them. */
  processes: Map<string, ProcessStateData>;
  /** The last process-id sequence number reserved, per day. */
  sequences: Map<string, number>;
  /** tenant:idempotencyKey → process id, as bound while Redis was unavailable. */
  keyBindings: Map<string, string>;
  publishState(state: ProcessStateData): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeServer(
  amqpUrl: string,
  options: { answerRpc?: boolean; consumeRequests?: boolean } = {},
): Promise<FakeServer> {
  const conn: ChannelModel = await connect(amqpUrl);
  const ch: ConfirmChannel = await conn.createConfirmChannel();
  await ch.assertExchange(EXCHANGES.requests, 'direct', { durable: true });
  await ch.assertExchange(EXCHANGES.events, 'topic', { durable: true });
  await ch.assertExchange(EXCHANGES.control, 'topic', { durable: true });
  await ch.assertExchange(EXCHANGES.audit, 'direct', { durable: true });
  for (const type of ['order', 'shipment']) {
    await ch.assertQueue(processQueue(type), { durable: true, arguments: QUORUM_QUEUE_ARGUMENTS });
    await ch.bindQueue(processQueue(type), EXCHANGES.requests, type);
  }
  await ch.assertQueue(QUEUES.control, { durable: true, arguments: QUORUM_QUEUE_ARGUMENTS });
  await ch.bindQueue(QUEUES.control, EXCHANGES.control, 'cancel.*');
  await ch.bindQueue(QUEUES.control, EXCHANGES.control, 'retry.*');
  await ch.assertQueue(QUEUES.rpc, { durable: true, arguments: QUORUM_QUEUE_ARGUMENTS });
  await ch.assertQueue(QUEUES.audit, { durable: true, arguments: QUORUM_QUEUE_ARGUMENTS });
  await ch.bindQueue(QUEUES.audit, EXCHANGES.audit, QUEUES.audit);

  const server: FakeServer = {
    requests: [],
    commands: [],
    rpcCalls: [],
    processes: new Map(),
    sequences: new Map(),
    keyBindings: new Map(),
    async publishState(state) {
      server.processes.set(state.processId, state);
      const event = cloudEvent(
        {
          id: `${state.processId}:${state.version}`,
          source: 'test-server',
          type: MESSAGE_TYPES.processState,
          tenantId: state.tenantId,
        },
        state,
      );
      await new Promise<void>((resolve, reject) =>
        ch.publish(
          EXCHANGES.events,
          `${state.tenantId}.${state.processType}.${state.status}`,
          Buffer.from(JSON.stringify(event)),
          { persistent: true, contentType: 'application/json' },
          (err: unknown) => (err ? reject(err) : resolve()),
        ),
      );
    },
    async close() {
      await conn.close().catch(() => undefined);
    },
  };

  for (const type of options.consumeRequests === false ? [] : ['order', 'shipment']) {
    await ch.consume(processQueue(type), (msg) => {
      if (!msg) return;
      const event = JSON.parse(msg.content.toString()) as Received['event'];
      server.requests.push({ event, headers: msg.properties.headers ?? {} });
      // What the real server records first: the accepted process, visible to RPC queries.
      if (!server.processes.has(event.data.processId)) {
        server.processes.set(event.data.processId, {
          processId: event.data.processId,
          tenantId: event.data.tenantId,
          processType: event.data.processType,
          status: 'accepted',
          version: 1,
          createdAt: event.data.submittedAt,
          updatedAt: event.data.submittedAt,
        });
      }
      ch.ack(msg);
    });
  }
  await ch.consume(QUEUES.control, (msg) => {
    if (!msg) return;
    server.commands.push({ routingKey: msg.fields.routingKey, body: JSON.parse(msg.content.toString()) });
    ch.ack(msg);
  });
  if (options.answerRpc ?? true) {
    await ch.consume(QUEUES.rpc, (msg) => {
      if (!msg) return;
      const req = JSON.parse(msg.content.toString()) as RpcRequest;
      // Status and list queries; block reservations are counted in `sequences`.
      if (req.kind !== 'reserve-process-ids' && req.kind !== 'bind-idempotency-key')
        server.rpcCalls.push(req);
      let reply: RpcReply;
      if (req.kind === 'reserve-process-ids') {
        // As the server does (in MongoDB): consecutive, never repeated blocks per day.
        const first = (server.sequences.get(req.day) ?? 0) + 1;
        server.sequences.set(req.day, first + req.count - 1);
        reply = {
          ok: true,
          kind: 'reserve-process-ids',
          day: req.day,
          ranges: [{ first, count: req.count }],
        };
      } else if (req.kind === 'bind-idempotency-key') {
        const k = `${req.tenantId}:${req.idempotencyKey}`;
        if (!server.keyBindings.has(k) && !req.lookupOnly) server.keyBindings.set(k, req.processId);
        reply = {
          ok: true,
          kind: 'bind-idempotency-key',
          processId: server.keyBindings.get(k) ?? req.processId,
        };
      } else if (req.kind === 'get-process') {
        const p = server.processes.get(req.processId);
        const { tenantId: _t, ...view } = p ?? ({} as ProcessStateData);
        reply = { ok: true, kind: 'get-process', process: p && p.tenantId === req.tenantId ? view : null };
      } else {
        const items = [...server.processes.values()]
          .filter((p) => p.tenantId === req.tenantId)
          .filter((p) => !req.status || p.status === req.status)
          .filter((p) => !req.processType || p.processType === req.processType)
          .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
          .map(({ tenantId: _t, ...view }) => view);
        reply = { ok: true, kind: 'list-processes', page: { items: items.slice(0, req.limit) } };
      }
      ch.sendToQueue(msg.properties.replyTo as string, Buffer.from(JSON.stringify(reply)), {
        correlationId: msg.properties.correlationId as string,
      });
      ch.ack(msg);
    });
  }
  return server;
}

/** Client-credentials token via client_secret_basic. */
export async function getToken(
  url: string,
  clientId: string,
  secret: string,
  scope?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) });
  const res = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: form.toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export async function accessToken(url: string, tenant: 'alpha' | 'beta', scope?: string): Promise<string> {
  const { status, body } = await getToken(url, `${tenant}-client`, SECRETS[tenant], scope);
  if (status !== 200) throw new Error(`token: ${status} ${JSON.stringify(body)}`);
  return body.access_token as string;
}

/**
 * POST /processes. Like the SDK, it sends a clientProcessId (required) when the body is an
 * object without one — always the same, so a resent body stays the same payload; pass
 * `clientProcessId: undefined` explicitly to leave it out.
 */
export function submit(url: string, token: string, body: unknown, headers: Record<string, string> = {}) {
  const sent =
    body !== null && typeof body === 'object' && !Array.isArray(body) && !('clientProcessId' in body)
      ? { clientProcessId: 'test-item', ...body }
      : body;
  return fetch(`${url}/api/stargate/processes`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(sent),
  });
}

export interface TestBed {
  vhost: Vhost;
  server: FakeServer;
  gw: RunningGateway;
  prefix: string;
  close(): Promise<void>;
}

/** A vhost, the stand-in server and one gateway on it, isolated by vhost and Redis prefix. */
export async function startTestBed(
  options: Partial<StartGatewayOptions> & { config?: GatewayConfig; answerRpc?: boolean } = {},
): Promise<TestBed> {
  const vhost = await createVhost('gw');
  const { answerRpc, ...gatewayOptions } = options;
  const server = await startFakeServer(vhost.url, { answerRpc: answerRpc ?? true });
  const prefix = options.redisPrefix ?? redisPrefix('gw');
  const gw = await startGateway({
    config: testConfig(),
    redisUrl: serviceEnv().redisUrl,
    amqpUrl: vhost.url,
    ...gatewayOptions,
    redisPrefix: prefix,
  } as StartGatewayOptions);
  return {
    vhost,
    server,
    gw,
    prefix,
    async close() {
      await gw.close();
      await server.close();
      await vhost.close();
    },
  };
}
