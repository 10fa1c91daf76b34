import type { ProcessStatusBody } from '@stargate/contracts';
import { ProblemError, ProcessFailedError, StarGateError } from '../errors.js';
import type { OutboxSender, SendOutcome } from '../outbox/sender.js';
import type { OutboxEntry, Store } from '../outbox/store.js';
import type { Tracker } from '../polling/tracker.js';
import type { HandleState, HandleStatus, PollOptions, ProcessHandle } from './types.js';

/** The error a rejected outbox entry reports to its callers. */
export function rejectionOf(entry: OutboxEntry): ProblemError {
  return new ProblemError(
    entry.rejectedStatus ?? 400,
    undefined,
    entry.error ?? 'submission rejected by the gateway',
  );
}

export interface HandleDeps {
  store: Store;
  sender: OutboxSender;
  tracker: Tracker;
  /** Throws ClientClosedError once the client is closed. */
  ensureOpen(): void;
  cancel(processId: string): Promise<ProcessStatusBody>;
}

/** Process handles: a submission's local view that follows it from the queue to its outcome. */
export function createHandles(deps: HandleDeps) {
  const { store, sender, tracker, ensureOpen } = deps;

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
        sender.waitAccepted(key).then(
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
      sender.kick();
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
      const unwatch = tracker.watch(processId, (v) => opts.onProgress?.(v));
      try {
        const polling = tracker.track(tracked);
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
        unwatch();
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

  /** The handle of a submission (by idempotency key) or of a known process (by id). */
  return function handle(state: HandleState): ProcessHandle {
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
        return deps.cancel(id);
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
  };
}
