import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  HTTP_HEADERS,
  type PollingHints,
  type ProcessListBody,
  type ProcessTypeInfo,
  type ProcessStatusBody,
  type SubmitAccepted,
  type SubmitRequest,
} from '@stargate/contracts';
import { createTokenProvider } from '../auth/token-provider.js';
import { createBackoff } from '../backoff/backoff.js';
import { type Clock, systemClock } from '../clock.js';
import {
  ClientClosedError,
  ProblemError,
  ProcessFailedError,
  StarGateError,
  TransientError,
} from '../errors.js';
import { createHttpClient } from '../http/http-client.js';
import { silentLogger } from '../logger.js';
import { createMetrics } from '../observability/metrics.js';
import { type OutboxEntry, openStore, type TrackedProcess } from '../outbox/store.js';
import { pollProcess } from '../polling/poller.js';
import { acceptedView } from './accepted-view.js';
import { normalizeHints } from '../polling/schedule.js';
import { createResultDelivery } from '../results/delivery.js';
import type {
  ClientEvents,
  ClientOptions,
  HandleState,
  HandleStatus,
  ListFilter,
  PollOptions,
  ProcessHandle,
  ResultHandler,
  SubmitOptions,
} from './types.js';
import type { StarGateClient } from './stargate-client.js';
export type { StarGateClient } from './stargate-client.js';

type SendOutcome = 'accepted' | 'queued';

interface Waiter {
  resolve(outcome: SendOutcome): void;
  reject(err: unknown): void;
}

function validate(options: ClientOptions): void {
  const need = (name: keyof ClientOptions) => {
    const v = options[name];
    if (typeof v !== 'string' || v.length === 0)
      throw new StarGateError(`createClient: option "${name}" is required`);
  };
  need('baseUrl');
  need('clientId');
  need('clientSecret');
  need('databasePath');
  try {
    new URL(options.baseUrl);
  } catch {
    throw new StarGateError(`createClient: option "baseUrl" is not a URL: ${options.baseUrl}`);
  }
  if (
    options.longPollSeconds !== undefined &&
    !(options.longPollSeconds >= 0 && options.longPollSeconds <= 60)
  )
    throw new StarGateError('createClient: option "longPollSeconds" must be between 0 and 60');
  if (options.retentionDays !== undefined && !(options.retentionDays > 0))
    throw new StarGateError('createClient: option "retentionDays" must be positive');
}

function rejectionOf(entry: OutboxEntry): ProblemError {
  return new ProblemError(
    entry.rejectedStatus ?? 400,
    undefined,
    entry.error ?? 'submission rejected by the gateway',
  );
}

/**
 * The StarGate client: submissions go through a durable SQLite outbox, processes are polled
 * until they finish (also across restarts), results are stored and delivered to handlers.
 */
export function createClient(options: ClientOptions): StarGateClient {
  validate(options);
  const clock: Clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const metrics = createMetrics(options.meter);
  const store = openStore(options.databasePath);
  const closing = new AbortController();
  const events = new EventEmitter<ClientEvents>();
  const progressWatchers = new Map<string, Set<(view: ProcessStatusBody) => void>>();
  const longPollSeconds = options.longPollSeconds ?? 30;
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
  const waiters = new Map<string, Waiter[]>();
  const pollers = new Map<string, Promise<ProcessStatusBody>>();
  let typeHints: Promise<Map<string, PollingHints>> | undefined;

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

  function settle(key: string, fn: (w: Waiter) => void) {
    const list = waiters.get(key);
    waiters.delete(key);
    for (const w of list ?? []) fn(w);
  }

  function settleAllQueued() {
    for (const key of [...waiters.keys()]) settle(key, (w) => w.resolve('queued'));
  }

  async function hintsFor(processType: string): Promise<PollingHints> {
    typeHints ??= listTypes()
      .then((types) => new Map(types.map((t) => [t.name, normalizeHints(t.polling)])))
      .catch((err) => {
        // Without the hints the seed's defaults apply; ask again for the next process.
        logger.warn(
          { event: 'types.unavailable', error: (err as Error).message },
          'using default polling hints',
        );
        typeHints = undefined;
        return new Map<string, PollingHints>();
      });
    return (await typeHints).get(processType) ?? normalizeHints(undefined);
  }

  async function listTypes(): Promise<ProcessTypeInfo[]> {
    const res = await http.request<ProcessTypeInfo[] | { items: ProcessTypeInfo[] }>({
      method: 'GET',
      path: '/api/stargate/process-types',
      signal: closing.signal,
    });
    return Array.isArray(res.body) ? res.body : (res.body?.items ?? []);
  }

  // ---- outbox sender: one loop, strictly in submission order ----
  let sending: Promise<void> | undefined;
  let resend = false;
  let wake = new AbortController();
  let passWaiters: (() => void)[] = [];

  function endPass() {
    const list = passWaiters;
    passWaiters = [];
    for (const fn of list) fn();
  }

  async function sendOne(entry: OutboxEntry): Promise<void> {
    const body: SubmitRequest = {
      processType: entry.processType,
      idempotencyKey: entry.idempotencyKey,
      data: entry.data,
      // Required by the API; entries queued before it was have their (stable) key instead.
      clientProcessId: entry.clientProcessId ?? entry.idempotencyKey,
    };
    const res = await http.request<SubmitAccepted>({
      method: 'POST',
      path: '/api/stargate/processes',
      body,
      headers: { [HTTP_HEADERS.idempotencyKey]: entry.idempotencyKey },
      signal: closing.signal,
    });
    if (typeof res.body?.processId !== 'string')
      throw new StarGateError(`gateway answered ${res.status} without a processId`);
    const tracked = store.accept(entry, res.body, clock.now());
    metrics.submissions.add(1, { processType: entry.processType, outcome: 'accepted' });
    logger.info(
      {
        event: 'submit.accepted',
        processId: tracked.processId,
        processType: entry.processType,
        clientProcessId: entry.clientProcessId,
        correlationId: res.correlationId,
        attempts: entry.attempts + 1,
      },
      'submission accepted',
    );
    events.emit('accepted', acceptedView(res.body));
    settle(entry.idempotencyKey, (w) => w.resolve('accepted'));
    if (started) track(tracked);
  }

  async function drainOutbox(): Promise<void> {
    const backoff = createBackoff(options.backoff);
    for (;;) {
      if (closing.signal.aborted) return;
      const entry = store.nextQueued();
      if (!entry) {
        endPass();
        return;
      }
      try {
        await sendOne(entry);
        backoff.reset();
        setOnline();
      } catch (err) {
        if (closing.signal.aborted) return;
        const inUse = err instanceof ProblemError && err.code === 'IDEMPOTENCY_KEY_IN_USE';
        if (err instanceof TransientError || inUse) {
          const message = (err as Error).message;
          store.recordAttempt(entry.idempotencyKey, message);
          const step = backoff.next(err);
          metrics.sendFailures.add(1, { processType: entry.processType });
          logger.warn(
            {
              event: 'submit.retry',
              idempotencyKey: entry.idempotencyKey,
              retry: step.retry,
              delayMs: step.delayMs,
              error: message,
            },
            'sending queued submission failed; backing off',
          );
          setOffline(message);
          settleAllQueued();
          if (step.exhausted) {
            metrics.alerts.add(1, { operation: 'send' });
            logger.error(
              { event: 'submit.alert', retries: step.retry - 1, error: message },
              'send retries exhausted; queue kept',
            );
            events.emit('alert', {
              operation: 'send',
              idempotencyKey: entry.idempotencyKey,
              retries: step.retry - 1,
              error: message,
            });
          }
          endPass();
          try {
            await clock.sleep(step.delayMs, AbortSignal.any([closing.signal, wake.signal]));
          } catch {
            // Woken early by flush() or stopped by close(): the loop head decides which.
          }
          continue;
        }
        if (err instanceof ProblemError) {
          store.reject(entry.idempotencyKey, err.message, err.status);
          metrics.submissions.add(1, { processType: entry.processType, outcome: 'rejected' });
          logger.warn(
            {
              event: 'submit.rejected',
              idempotencyKey: entry.idempotencyKey,
              status: err.status,
              code: err.code,
            },
            'submission rejected permanently',
          );
          settle(entry.idempotencyKey, (w) => w.reject(err));
          continue;
        }
        // Bad credentials (or a bug): nothing in the queue can go out; keep it and tell the callers.
        logger.error({ event: 'submit.stopped', error: (err as Error).message }, 'sending stopped');
        for (const key of [...waiters.keys()]) settle(key, (w) => w.reject(err));
        endPass();
        return;
      }
    }
  }

  function kickSender(): void {
    if (closing.signal.aborted) return;
    if (sending) {
      resend = true;
      return;
    }
    sending = (async () => {
      do {
        resend = false;
        await drainOutbox();
      } while (resend && !closing.signal.aborted);
    })().finally(() => {
      sending = undefined;
      if (resend) kickSender();
    });
  }

  // ---- polling of tracked processes ----
  function finish(view: ProcessStatusBody): void {
    delivery.store(view);
    const kind = view.status === 'completed' ? 'completed' : 'failed';
    logger.info(
      {
        event: `process.${view.status}`,
        processId: view.processId,
        processType: view.processType,
        version: view.version,
      },
      `process ${view.status}`,
    );
    events.emit(kind, view);
  }

  function track(tracked: TrackedProcess): Promise<ProcessStatusBody> {
    const existing = pollers.get(tracked.processId);
    if (existing) return existing;
    const p = pollProcess(
      {
        http,
        clock,
        logger,
        metrics,
        hints: hintsFor,
        longPollSeconds,
        ...(options.backoff ? { backoff: options.backoff } : {}),
        onView(view) {
          store.updateTracked(view, false);
          events.emit('progress', view);
          for (const watch of progressWatchers.get(view.processId) ?? []) watch(view);
        },
        onWarning(event) {
          store.markWarned(event.processId);
          events.emit('warning', event);
        },
        onAlert: (event) => events.emit('alert', event),
        onOffline: setOffline,
        onOnline: setOnline,
      },
      tracked,
      closing.signal,
    )
      .then((view) => {
        finish(view);
        return view;
      })
      .catch((err: unknown) => {
        if (err instanceof ProblemError && err.status === 404) {
          // Unknown to the gateway (expired, or never ours): polling further cannot help.
          store.untrack(tracked.processId);
          logger.error(
            { event: 'poll.not_found', processId: tracked.processId },
            'process not found; no longer tracked',
          );
        } else if (!closing.signal.aborted) {
          logger.error(
            { event: 'poll.stopped', processId: tracked.processId, error: (err as Error).message },
            'polling stopped; resumes on restart',
          );
        }
        throw err;
      })
      .finally(() => pollers.delete(tracked.processId));
    // Background pollers must not surface as unhandled rejections; callers get `p` itself.
    p.catch(() => undefined);
    pollers.set(tracked.processId, p);
    return p;
  }

  // ---- handles ----
  function waitAccepted(key: string): Promise<SendOutcome> {
    return new Promise<SendOutcome>((resolve, reject) => {
      waiters.set(key, [...(waiters.get(key) ?? []), { resolve, reject }]);
    });
  }

  async function untilAccepted(key: string, signal?: AbortSignal): Promise<string> {
    for (;;) {
      ensureOpen();
      const entry = store.entry(key);
      if (!entry) throw new StarGateError(`no submission with idempotency key ${key} in the local store`);
      if (entry.processId) return entry.processId;
      if (entry.state === 'rejected') throw rejectionOf(entry);
      // Settled on acceptance, rejection, or each transient failure ('queued'); the loop re-reads the store.
      const outcome = new Promise<SendOutcome>((resolve, reject) => {
        const onAbort = () => reject(signal?.reason);
        signal?.throwIfAborted();
        signal?.addEventListener('abort', onAbort, { once: true });
        waitAccepted(key).then(
          (o) => {
            signal?.removeEventListener('abort', onAbort);
            resolve(o);
          },
          (err: unknown) => {
            signal?.removeEventListener('abort', onAbort);
            reject(err);
          },
        );
      });
      kickSender();
      await outcome;
    }
  }

  async function pollUntilDone(processId: string, opts: PollOptions = {}): Promise<ProcessStatusBody> {
    ensureOpen();
    const tracked = store.tracked(processId);
    if (!tracked) throw new StarGateError(`process ${processId} is not tracked by this client`);
    let view: ProcessStatusBody;
    const stored = store.result(processId);
    if (stored) view = stored.view;
    else {
      // Per-process watchers rather than one more listener on the public emitter: hundreds of
      // concurrent pollUntilDone calls are normal and must not trip its leak warning.
      const onProgress = (v: ProcessStatusBody) => opts.onProgress?.(v);
      const watchers = progressWatchers.get(processId) ?? new Set();
      watchers.add(onProgress);
      progressWatchers.set(processId, watchers);
      try {
        const polling = track(tracked);
        view = await (opts.signal
          ? Promise.race([
              polling,
              new Promise<never>((_, reject) => {
                opts.signal?.throwIfAborted();
                opts.signal?.addEventListener('abort', () => reject(opts.signal?.reason), { once: true });
              }),
            ])
          : polling);
      } finally {
        watchers.delete(onProgress);
        if (watchers.size === 0) progressWatchers.delete(processId);
      }
    }
    if (view.status === 'completed') return view;
    throw new ProcessFailedError(
      `process ${processId} ${view.status}${view.error ? `: ${view.error.message}` : ''}`,
      processId,
      view.status,
      view.error,
      view,
    );
  }

  function handle(state: HandleState): ProcessHandle {
    const processId = () =>
      state.processId ?? (state.idempotencyKey ? store.entry(state.idempotencyKey)?.processId : undefined);
    return {
      idempotencyKey: state.idempotencyKey,
      processType: state.processType,
      clientProcessId: state.clientProcessId,
      get processId() {
        return processId();
      },
      get status(): HandleStatus {
        const id = processId();
        if (!id)
          return state.idempotencyKey && store.entry(state.idempotencyKey)?.state === 'rejected'
            ? 'rejected'
            : 'queued';
        const t = store.tracked(id);
        return (t?.status ?? 'accepted') as HandleStatus;
      },
      get view() {
        const id = processId();
        return id ? (store.result(id)?.view ?? store.tracked(id)?.view) : undefined;
      },
      async pollUntilDone(opts) {
        const id = processId() ?? (await untilAccepted(state.idempotencyKey ?? '', opts?.signal));
        return pollUntilDone(id, opts);
      },
      async cancel() {
        const id = processId();
        if (!id) throw new StarGateError('the submission is still queued; purge it from the queue instead');
        return cancel(id);
      },
      serialize() {
        const s: HandleState = { processType: state.processType };
        if (state.idempotencyKey) s.idempotencyKey = state.idempotencyKey;
        const id = processId();
        if (id) s.processId = id;
        if (state.clientProcessId) s.clientProcessId = state.clientProcessId;
        return JSON.stringify(s);
      },
    };
  }

  async function cancel(processId: string): Promise<ProcessStatusBody> {
    ensureOpen();
    const res = await http.request<ProcessStatusBody>({
      method: 'POST',
      path: `/api/stargate/processes/${encodeURIComponent(processId)}/cancel`,
      signal: closing.signal,
    });
    logger.info({ event: 'process.cancel', processId, correlationId: res.correlationId }, 'cancel requested');
    return res.body;
  }

  /** Retries a retryable failure (POST …/retry) and tracks the process again until its new outcome. */
  async function retry(processId: string): Promise<ProcessStatusBody> {
    ensureOpen();
    const res = await http.request<ProcessStatusBody>({
      method: 'POST',
      path: `/api/stargate/processes/${encodeURIComponent(processId)}/retry`,
      signal: closing.signal,
    });
    logger.info({ event: 'process.retry', processId, correlationId: res.correlationId }, 'retry requested');
    if (store.tracked(processId)) store.reopen(processId, clock.now());
    else {
      const processType = res.body?.processType ?? (await client.get(processId)).processType;
      store.track({ processId, processType, acceptedAt: clock.now(), status: 'processing' });
    }
    const t = store.tracked(processId);
    if (started && t) track(t);
    return res.body;
  }

  function start(): void {
    if (started) return;
    started = true;
    const pruned = store.prune(clock.now() - (options.retentionDays ?? 7) * 86_400_000);
    if (pruned.results + pruned.tracked + pruned.outbox > 0)
      logger.info({ event: 'store.pruned', ...pruned }, 'old finished entries removed from the local store');
    kickSender();
    for (const t of store.openTracked()) track(t);
    void delivery.deliverPending();
  }

  const client: StarGateClient = {
    /** Writes the submission to the local outbox, then sends it; resolves once accepted or queued. */
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
        kickSender();
        return h;
      }
      const outcome = waitAccepted(key);
      kickSender();
      if ((await outcome) === 'queued') metrics.submissions.add(1, { processType, outcome: 'queued' });
      return h;
    },
    /** Carries on with a handle from `serialize()` (or a known process id) after a restart. */
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
      if (started && t && !t.done) track(t);
      return handle(s);
    },
    async get(processId: string): Promise<ProcessStatusBody> {
      ensureOpen();
      const res = await http.request<ProcessStatusBody>({
        method: 'GET',
        path: `/api/stargate/processes/${encodeURIComponent(processId)}`,
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
        path: `/api/stargate/processes${qs.size > 0 ? `?${qs}` : ''}`,
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
    onCompleted(processType: string, fn: ResultHandler): () => void {
      return delivery.on('completed', processType, fn);
    },
    /** Failed and cancelled processes. */
    onFailed(processType: string, fn: ResultHandler): () => void {
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
    /** Entries of the offline queue not yet accepted, oldest first. */
    queue(): OutboxEntry[] {
      return store.queued();
    },
    /** Sends the queue now; resolves after one pass (emptied, or stopped at a transient failure). */
    async flush(): Promise<{ remaining: number }> {
      ensureOpen();
      const pass = new Promise<void>((resolve) => passWaiters.push(resolve));
      wake.abort();
      wake = new AbortController();
      kickSender();
      await pass;
      return { remaining: store.queued().length };
    },
    /** Drops every submission still queued (never sent successfully); returns how many. */
    purgeQueue(): number {
      const n = store.purgeQueued();
      logger.warn({ event: 'queue.purged', count: n }, 'offline queue purged');
      return n;
    },
    /** Tracked processes still polled, oldest first. */
    tracked(): TrackedProcess[] {
      return store.openTracked();
    },
    /** Flushes the queue, resumes polling of tracked processes and delivers pending results. */
    start,
    get isOffline() {
      return offline;
    },
    async close(): Promise<void> {
      if (closing.signal.aborted) return;
      closing.abort(new ClientClosedError());
      settleAllQueued();
      endPass();
      await Promise.allSettled([sending, ...pollers.values(), delivery.close()]);
      store.close();
    },
  };
  if (options.autoStart ?? true) start();
  return client;
}
