import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  commandPath,
  PROCESS_TYPES_PATH,
  PROCESSES_PATH,
  type ProcessListBody,
  type ProcessStatusBody,
  type ProcessTypeInfo,
  statusPath,
} from '@stargate/contracts';
import { createTokenProvider } from '../auth/token-provider.js';
import { type Clock, systemClock } from '../clock.js';
import { ClientClosedError, StarGateError } from '../errors.js';
import { createHttpClient } from '../http/http-client.js';
import { silentLogger } from '../logger.js';
import { createMetrics } from '../observability/metrics.js';
import { createOutboxSender } from '../outbox/sender.js';
import { openStore } from '../outbox/store.js';
import { createTracker } from '../polling/tracker.js';
import { createResultDelivery } from '../results/delivery.js';
import { acceptedView } from './accepted-view.js';
import { createHandles, rejectionOf } from './handle.js';
import { validateOptions } from './options.js';
import type { StarGateClient } from './stargate-client.js';
import type {
  ClientEvents,
  ClientOptions,
  HandleState,
  ListFilter,
  ProcessHandle,
  SubmitOptions,
} from './types.js';

export type { StarGateClient } from './stargate-client.js';

// The parts live beside this wiring: the outbox sender (outbox/sender.ts), the tracker of the
// processes followed (polling/tracker.ts) and the process handles (client/handle.ts).

/**
 * The StarGate client: submissions go through a durable SQLite outbox, processes are polled
 * until they finish (also across restarts), results are stored and delivered to handlers.
 */
export function createClient(options: ClientOptions): StarGateClient {
  validateOptions(options);
  const clock: Clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const metrics = createMetrics(options.meter);
  const store = openStore(options.databasePath);
  const closing = new AbortController();
  const events = new EventEmitter<ClientEvents>();
  const tokens = createTokenProvider({
    baseUrl: options.baseUrl,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    clock,
    logger,
    ...(options.scope ? { scope: options.scope } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.requestTimeoutMs ? { timeoutMs: options.requestTimeoutMs } : {}),
  });
  const http = createHttpClient({
    baseUrl: options.baseUrl,
    tokens,
    clock,
    userAgent: 'stargate-client-sdk/0.1',
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.requestTimeoutMs ? { timeoutMs: options.requestTimeoutMs } : {}),
  });
  const delivery = createResultDelivery({
    store,
    clock,
    logger,
    metrics,
    retryDelayMs: 30_000,
    signal: closing.signal,
  });

  let started = false;
  let offline = false;

  const ensureOpen = () => {
    if (closing.signal.aborted) throw new ClientClosedError();
  };

  function setOffline(error: string) {
    if (offline) return;
    offline = true;
    logger.warn({ event: 'client.offline', error }, 'gateway unreachable; submissions stay queued');
    events.emit('offline', { error });
  }
  function setOnline() {
    if (!offline) return;
    offline = false;
    logger.info({ event: 'client.online' }, 'gateway reachable again');
    events.emit('online');
  }

  async function listTypes(): Promise<ProcessTypeInfo[]> {
    const res = await http.request<ProcessTypeInfo[] | { items: ProcessTypeInfo[] }>({
      method: 'GET',
      path: PROCESS_TYPES_PATH,
      signal: closing.signal,
    });
    return Array.isArray(res.body) ? res.body : (res.body?.items ?? []);
  }

  const tracker = createTracker({
    store,
    http,
    clock,
    logger,
    metrics,
    longPollSeconds: options.longPollSeconds ?? 30,
    ...(options.backoff ? { backoff: options.backoff } : {}),
    signal: closing.signal,
    listTypes,
    storeResult: (view) => delivery.store(view),
    onProgress: (view) => events.emit('progress', view),
    onFinished: (kind, view) => events.emit(kind, view),
    onWarning: (event) => events.emit('warning', event),
    onAlert: (event) => events.emit('alert', event),
    onOffline: setOffline,
    onOnline: setOnline,
  });

  const sender = createOutboxSender({
    store,
    http,
    clock,
    logger,
    metrics,
    ...(options.backoff ? { backoff: options.backoff } : {}),
    signal: closing.signal,
    onAccepted: (body) => events.emit('accepted', acceptedView(body)),
    onTracked(tracked) {
      if (started) tracker.track(tracked);
    },
    onAlert: (event) => events.emit('alert', event),
    onOffline: setOffline,
    onOnline: setOnline,
  });

  async function cancel(processId: string): Promise<ProcessStatusBody> {
    ensureOpen();
    const res = await http.request<ProcessStatusBody>({
      method: 'POST',
      path: commandPath(processId, 'cancel'),
      signal: closing.signal,
    });
    logger.info({ event: 'process.cancel', processId, correlationId: res.correlationId }, 'cancel requested');
    return res.body;
  }

  const handle = createHandles({ store, sender, tracker, ensureOpen, cancel });

  /** Retries a retryable failure (POST …/retry) and tracks the process again until its new outcome. */
  async function retry(processId: string): Promise<ProcessStatusBody> {
    ensureOpen();
    const res = await http.request<ProcessStatusBody>({
      method: 'POST',
      path: commandPath(processId, 'retry'),
      signal: closing.signal,
    });
    logger.info({ event: 'process.retry', processId, correlationId: res.correlationId }, 'retry requested');
    if (store.tracked(processId)) store.reopen(processId, clock.now());
    else {
      const processType = res.body?.processType ?? (await client.get(processId)).processType;
      store.track({ processId, processType, acceptedAt: clock.now(), status: 'processing' });
    }
    const t = store.tracked(processId);
    if (started && t) tracker.track(t);
    return res.body;
  }

  function start(): void {
    if (started) return;
    started = true;
    const pruned = store.prune(clock.now() - (options.retentionDays ?? 7) * 86_400_000);
    if (pruned.results + pruned.tracked + pruned.outbox > 0)
      logger.info({ event: 'store.pruned', ...pruned }, 'old finished entries removed from the local store');
    sender.kick();
    for (const t of store.openTracked()) tracker.track(t);
    void delivery.deliverPending();
  }

  const client: StarGateClient = {
    async submit(processType: string, data: unknown, opts: SubmitOptions = {}): Promise<ProcessHandle> {
      ensureOpen();
      const key = opts.idempotencyKey ?? randomUUID();
      const entry =
        store.entry(key) ??
        store.enqueue({
          idempotencyKey: key,
          processType,
          data,
          createdAt: clock.now(),
          // The API requires one; without the caller's, the idempotency key (a UUID) serves.
          clientProcessId: opts.clientProcessId ?? key,
        });
      const h = handle({
        idempotencyKey: key,
        processType: entry.processType,
        ...(entry.clientProcessId ? { clientProcessId: entry.clientProcessId } : {}),
      });
      if (entry.state === 'rejected') throw rejectionOf(entry);
      if (entry.state === 'accepted') return h;
      logger.info(
        { event: 'submit.queued', idempotencyKey: key, processType, clientProcessId: opts.clientProcessId },
        'submission stored',
      );
      if (offline) {
        metrics.submissions.add(1, { processType, outcome: 'queued' });
        sender.kick();
        return h;
      }
      const outcome = sender.waitAccepted(key);
      sender.kick();
      if ((await outcome) === 'queued') metrics.submissions.add(1, { processType, outcome: 'queued' });
      return h;
    },
    resume(state: string | HandleState): ProcessHandle {
      ensureOpen();
      const s: HandleState = typeof state === 'string' ? (JSON.parse(state) as HandleState) : state;
      if (!s.processId && !(s.idempotencyKey && store.entry(s.idempotencyKey)))
        throw new StarGateError('resume: state names neither a process id nor a locally stored submission');
      if (s.processId && !store.tracked(s.processId)) {
        store.track({
          processId: s.processId,
          processType: s.processType,
          acceptedAt: clock.now(),
          status: 'accepted',
          ...(s.clientProcessId ? { clientProcessId: s.clientProcessId } : {}),
        });
      }
      const t = s.processId ? store.tracked(s.processId) : undefined;
      if (started && t && !t.done) tracker.track(t);
      return handle(s);
    },
    async get(processId: string): Promise<ProcessStatusBody> {
      ensureOpen();
      const res = await http.request<ProcessStatusBody>({
        method: 'GET',
        path: statusPath(processId),
        signal: closing.signal,
      });
      return res.body;
    },
    async list(filter: ListFilter = {}): Promise<ProcessListBody> {
      ensureOpen();
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(filter)) if (v !== undefined) qs.set(k, String(v));
      const res = await http.request<ProcessListBody>({
        method: 'GET',
        path: `${PROCESSES_PATH}${qs.size > 0 ? `?${qs}` : ''}`,
        signal: closing.signal,
      });
      return res.body;
    },
    processTypes(): Promise<ProcessTypeInfo[]> {
      ensureOpen();
      return listTypes();
    },
    cancel,
    retry,
    onCompleted(processType: string, fn): () => void {
      return delivery.on('completed', processType, fn);
    },
    onFailed(processType: string, fn): () => void {
      return delivery.on('failed', processType, fn);
    },
    on<E extends keyof ClientEvents>(event: E, listener: (...args: ClientEvents[E]) => void) {
      events.on(event, listener as never);
      return client;
    },
    off<E extends keyof ClientEvents>(event: E, listener: (...args: ClientEvents[E]) => void) {
      events.off(event, listener as never);
      return client;
    },
    queue() {
      return store.queued();
    },
    async flush(): Promise<{ remaining: number }> {
      ensureOpen();
      await sender.flush();
      return { remaining: store.queued().length };
    },
    purgeQueue(): number {
      const n = store.purgeQueued();
      logger.warn({ event: 'queue.purged', count: n }, 'offline queue purged');
      return n;
    },
    tracked() {
      return store.openTracked();
    },
    start,
    get isOffline() {
      return offline;
    },
    async close(): Promise<void> {
      if (closing.signal.aborted) return;
      closing.abort(new ClientClosedError());
      await Promise.allSettled([sender.stopped(), ...tracker.running(), delivery.close()]);
      store.close();
    },
  };
  if (options.autoStart ?? true) start();
  return client;
}
