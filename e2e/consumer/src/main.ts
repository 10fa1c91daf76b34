/**
 * A customer's program, written against the published @stargate/client-sdk only (no repository
 * imports): submit an order and wait for it with progress, show a rejected request, queue a
 * submission while the gateway is unreachable, then restart, flush the queue and collect the
 * result through a handler.
 *
 * Settings come from the environment: STARGATE_URL, STARGATE_CLIENT_ID, STARGATE_CLIENT_SECRET,
 * STARGATE_UNREACHABLE_URL (where nothing listens), STARGATE_STATE_DIR (for the databases).
 * Prints one JSON summary on stdout.
 */
import { join } from 'node:path';
import {
  type ClientOptions,
  createClient,
  ProblemError,
  ProcessFailedError,
  type ProcessStatusBody,
  StarGateError,
} from '@stargate/client-sdk';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const stateDir = env('STARGATE_STATE_DIR');
const settings: ClientOptions = {
  baseUrl: env('STARGATE_URL'),
  clientId: env('STARGATE_CLIENT_ID'),
  clientSecret: env('STARGATE_CLIENT_SECRET'),
  databasePath: join(stateDir, 'orders.db'),
};
const order = (orderId: string) => ({
  orderId,
  customerId: 'C-7',
  currency: 'EUR',
  items: [{ sku: 'W-1', quantity: 2, unitPrice: 10 }],
  simulate: { delayMs: 200 }, // the demo handler takes a moment per step, so progress shows
});

// 1. Submit, wait with progress, read the result.
const client = createClient(settings);
const progress: ProcessStatusBody['progress'][] = [];
const handle = await client.submit('order', order('PO-1'), { clientProcessId: 'PO-1' });
const done = await handle.pollUntilDone({
  signal: AbortSignal.timeout(60_000),
  onProgress: (view) => progress.push(view.progress),
});

// 2. A request the gateway refuses (no items): a ProblemError, never retried.
let rejected: { status: number; code: string | undefined } | undefined;
try {
  await client.submit('order', { orderId: 'PO-BAD' }, { clientProcessId: 'PO-BAD' });
} catch (err) {
  if (!(err instanceof ProblemError)) throw err;
  rejected = { status: err.status, code: err.code };
}
await client.close();

// 3. The gateway is unreachable: the submission waits in the local queue.
const offline = createClient({
  ...settings,
  baseUrl: env('STARGATE_UNREACHABLE_URL'),
  databasePath: join(stateDir, 'queue.db'),
  backoff: { initialDelayMs: 100, maxRetries: 1 },
});
const queued = await offline.submit('order', order('PO-2'), { clientProcessId: 'PO-2' });
const whileOffline = { status: queued.status, queueLength: offline.queue().length };
const saved = queued.serialize(); // kept by the application across the restart
await offline.close();

// 4. After a restart, against the reachable gateway: flush, resume, receive the result.
const restarted = createClient({ ...settings, databasePath: join(stateDir, 'queue.db'), autoStart: false });
const delivered = new Promise<ProcessStatusBody>((resolve) => restarted.onCompleted('order', resolve));
restarted.start();
const { remaining } = await restarted.flush();
let resumedStatus: string;
try {
  resumedStatus = (await restarted.resume(saved).pollUntilDone({ signal: AbortSignal.timeout(60_000) }))
    .status;
} catch (err) {
  if (err instanceof ProcessFailedError) resumedStatus = err.status;
  else throw err;
}
const handled = await delivered;
await restarted.close();

console.log(
  JSON.stringify({
    online: {
      processId: done.processId,
      status: done.status,
      result: done.result,
      progress,
    },
    rejected,
    offline: { ...whileOffline, remainingAfterFlush: remaining, resumedStatus },
    handler: { clientProcessId: handled.clientProcessId, status: handled.status, result: handled.result },
    errorsAreStarGateErrors: new ProblemError(400, undefined, 'x') instanceof StarGateError,
  }),
);
