/**
 * Building blocks of the whole-system tests: the example configuration (examples/, two
 * tenants, two process types) as a stack, request data for the built-in handlers, a small
 * HTTP client, and the ledger check that every accepted process ended exactly once.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  type GatewayConfig,
  PROCESSES_PATH,
  type ProcessStatusBody,
  type ServerConfig,
  statusPath,
} from '@stargate/contracts';
import { DEV_CREDENTIALS_FILE, renderFolder } from '@stargate/operator';
import { MongoClient } from 'mongodb';
import { parse } from 'yaml';
import { REPO_ROOT, type StackOptions, type TenantCredentials } from './stack.js';

export interface ExampleConfig {
  gatewayConfig: GatewayConfig;
  serverConfig: ServerConfig;
  credentials: TenantCredentials[];
}

/**
 * The configuration `make dev` runs, rendered from examples/. `raiseLimits` lifts the
 * tenants' rate limits so load tests measure the system, not the (separately tested) limiter.
 */
export async function exampleConfig(opts: { raiseLimits?: boolean } = {}): Promise<ExampleConfig> {
  const dir = join(REPO_ROOT, 'examples');
  const { gatewayConfig, serverConfig } = await renderFolder(dir);
  const { readFile } = await import('node:fs/promises');
  const secrets = (
    parse(await readFile(join(dir, DEV_CREDENTIALS_FILE), 'utf8')) as {
      clientSecrets: Record<string, string>;
    }
  ).clientSecrets;
  if (opts.raiseLimits) {
    for (const t of gatewayConfig.tenants) t.rateLimit = { requestsPerMinute: 600_000, burst: 100_000 };
  }
  const credentials = gatewayConfig.tenants.map((t) => ({
    tenantId: t.id,
    clientId: t.clientId,
    clientSecret: secrets[t.id] ?? '',
  }));
  return { gatewayConfig, serverConfig, credentials };
}

export function stackOptions(cfg: ExampleConfig, extra: Partial<StackOptions> = {}): StackOptions {
  return { ...cfg, ...extra };
}

export interface Simulate {
  delayMs?: number;
  failTimes?: number;
}

export function orderData(ref: string, quantity = 2, simulate?: Simulate) {
  return {
    orderId: ref,
    customerId: `C-${ref}`,
    currency: 'EUR',
    items: [
      { sku: 'W-1', quantity, unitPrice: 10 },
      { sku: 'W-2', quantity: 1, unitPrice: 2.5 },
    ],
    ...(simulate ? { simulate } : {}),
  };
}

/** The order total the built-in handler must compute for `orderData(ref, quantity)`. */
export function orderTotal(quantity = 2): number {
  return quantity * 10 + 2.5;
}

export function shippingData(ref: string, simulate?: Simulate) {
  return {
    shipmentId: ref,
    orderId: `O-${ref}`,
    weightKg: 3.5,
    address: { name: 'Jane Doe', street: 'Main St 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
    ...(simulate ? { simulate } : {}),
  };
}

export interface HttpAnswer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** One HTTP call with a bearer token; the body is parsed when it is JSON. */
export async function http<T = unknown>(
  url: string,
  init: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<HttpAnswer<T>> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    ...(init.body === undefined
      ? {}
      : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
    signal: AbortSignal.timeout(70_000),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body: body as T, text };
}

/** Submits one process over plain HTTP. */
export function submit(
  baseUrl: string,
  token: string,
  processType: string,
  data: unknown,
  extra: { clientProcessId?: string; idempotencyKey?: string; headers?: Record<string, string> } = {},
) {
  return http<ProcessStatusBody & { error?: string }>(`${baseUrl}${PROCESSES_PATH}`, {
    token,
    body: {
      processType,
      data,
      // Required by the API: like the SDK, always send one.
      clientProcessId: extra.clientProcessId ?? randomUUID(),
      ...(extra.idempotencyKey ? { idempotencyKey: extra.idempotencyKey } : {}),
    },
    headers: extra.headers ?? {},
  });
}

/** Long-polls one process until it is terminal (or `timeoutMs` passes). */
export async function waitTerminal(
  baseUrls: string | string[],
  token: string,
  processId: string,
  timeoutMs = 180_000,
): Promise<ProcessStatusBody> {
  const urls = Array.isArray(baseUrls) ? baseUrls : [baseUrls];
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (let i = 0; Date.now() < deadline; i++) {
    const base = urls[i % urls.length];
    try {
      const res = await http<ProcessStatusBody>(`${base}${statusPath(processId)}`, {
        token,
        headers: { prefer: 'wait=5' },
      });
      last = `${res.status} ${res.text.slice(0, 300)}`;
      if (res.status === 200 && ['completed', 'failed', 'cancelled'].includes(res.body.status))
        return res.body;
      if (res.status >= 500 || res.status === 429 || res.status === 404)
        await new Promise((r) => setTimeout(r, 200));
    } catch (err) {
      // A gateway being restarted or stopped: try the next one.
      last = err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`process ${processId} not terminal within ${timeoutMs} ms; last answer: ${String(last)}`);
}

/** Runs `fn` over `items` with at most `limit` at once; results in input order. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>) {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  });
  await Promise.all(workers);
  return out;
}

export interface LedgerReport {
  accepted: number;
  byStatus: Record<string, number>;
  /** Accepted processes with no record in MongoDB. */
  missing: string[];
  /** Accepted processes not (yet) in a terminal state. */
  notTerminal: string[];
  /** Processes with other than exactly one terminal event. */
  terminalEventAnomalies: { processId: string; terminalEvents: number }[];
  /** Records in MongoDB that no client got a 202 for (duplicates of a submission). */
  unexpected: string[];
  /** Processes whose record says something else than the client saw. */
  clientMismatch: string[];
  /** What the failed ones (if any) failed with; informative, checked through byStatus. */
  failedDetails: string[];
}

/**
 * The ledger check: every process that got a 202 has exactly one record, reached a terminal
 * state, has exactly one terminal event in its history, and the client saw that same
 * terminal state. Records nobody was told about are duplicates.
 */
export async function ledger(
  mongo: { url: string; dbName: string },
  accepted: ReadonlyMap<string, string | undefined>,
  opts: { tenantIds?: string[] } = {},
): Promise<LedgerReport> {
  const client = new MongoClient(mongo.url, { serverSelectionTimeoutMS: 10_000 });
  try {
    const db = client.db(mongo.dbName);
    const filter = opts.tenantIds ? { tenantId: { $in: opts.tenantIds } } : {};
    const docs = await db
      .collection<{
        processId: string;
        status: string;
        clientProcessId?: string;
        idempotencyKey?: string;
        error?: { code: string; message?: string };
      }>('processes')
      .find(filter, {
        projection: { processId: 1, status: 1, clientProcessId: 1, idempotencyKey: 1, error: 1 },
      })
      .toArray();
    // Says what a record is, so a failed check explains itself.
    const describe = (d: (typeof docs)[number]) =>
      `${d.processId} (${d.clientProcessId ?? '-'}, key ${d.idempotencyKey ?? '-'}, ${d.status}${d.error ? ` ${d.error.code}: ${String(d.error.message).slice(0, 120)}` : ''})`;
    // Each process keeps its event history in its own record (server/src/store/process-store.ts).
    const events = (
      await db
        .collection<{ processId: string; history?: { status: string }[] }>('processes')
        .find(filter, { projection: { processId: 1, history: 1 } })
        .toArray()
    ).flatMap((d) =>
      (d.history ?? [])
        .filter((e) => ['completed', 'failed', 'cancelled'].includes(e.status))
        .map((e) => ({ processId: d.processId, status: e.status })),
    );
    const terminalCount = new Map<string, number>();
    for (const e of events) terminalCount.set(e.processId, (terminalCount.get(e.processId) ?? 0) + 1);
    const byId = new Map(docs.map((d) => [d.processId, d.status]));
    const report: LedgerReport = {
      accepted: accepted.size,
      byStatus: {},
      missing: [],
      notTerminal: [],
      terminalEventAnomalies: [],
      unexpected: [],
      clientMismatch: [],
      failedDetails: [],
    };
    for (const [id, seen] of accepted) {
      const status = byId.get(id);
      if (!status) {
        report.missing.push(`${id} (client saw ${seen})`);
        continue;
      }
      report.byStatus[status] = (report.byStatus[status] ?? 0) + 1;
      if (!['completed', 'failed', 'cancelled'].includes(status)) report.notTerminal.push(id);
      const n = terminalCount.get(id) ?? 0;
      if (n !== 1) report.terminalEventAnomalies.push({ processId: id, terminalEvents: n });
      if (seen !== status) report.clientMismatch.push(`${id}: client saw ${seen}, store has ${status}`);
    }
    for (const d of docs) if (!accepted.has(d.processId)) report.unexpected.push(describe(d));
    for (const d of docs)
      if (accepted.has(d.processId) && d.status === 'failed') report.failedDetails.push(describe(d));
    return report;
  } finally {
    await client.close();
  }
}

/** The shape a clean ledger has, for one readable `expect(...).toEqual(...)`. */
export function cleanLedger(report: LedgerReport): LedgerReport {
  return {
    ...report,
    missing: [],
    notTerminal: [],
    terminalEventAnomalies: [],
    unexpected: [],
    clientMismatch: [],
  };
}

export interface LoadItem {
  processType: 'order' | 'shipping';
  data: unknown;
  ref: string;
}

export interface LoadRun {
  /** processId → terminal status the client saw (filled by `finish`). */
  accepted: Map<string, string | undefined>;
  /** Answers other than 202 while submitting (retried with the same idempotency key). */
  retriedAnswers: Record<string, number>;
  /** Resolves when every item was accepted. */
  submitted: Promise<void>;
  /** How many items got their 202 so far. */
  acceptedCount(): number;
  /** Waits until every accepted process is terminal as a client sees it (long polls, any gateway). */
  finish(timeoutMs?: number): Promise<void>;
}

/**
 * Submits `items` over plain HTTP like a careful client: each with its own idempotency key,
 * resent with the same key on 5xx/429/network errors (to whichever gateway answers) until a
 * 202. A fault can be injected while it runs.
 */
export function startLoad(
  urls: () => string[],
  token: () => Promise<string>,
  items: readonly LoadItem[],
  opts: {
    concurrency?: number;
    deadlineMs?: number;
    /** Told every answer (status, headers, when), e.g. to time a refusal window. */
    onAnswer?: (status: number, headers: Headers, at: number) => void;
  } = {},
): LoadRun {
  const accepted = new Map<string, string | undefined>();
  const ids: string[] = [];
  const retriedAnswers: Record<string, number> = {};
  const deadline = Date.now() + (opts.deadlineMs ?? 180_000);
  const note = (k: string) => {
    retriedAnswers[k] = (retriedAnswers[k] ?? 0) + 1;
  };
  const submitted = pool(items, opts.concurrency ?? 10, async (item, i) => {
    const key = `${item.ref}-${Math.random().toString(36).slice(2)}`;
    for (let attempt = 0; ; attempt++) {
      if (Date.now() > deadline) throw new Error(`item ${item.ref} not accepted before the deadline`);
      const all = urls();
      const url = all[(i + attempt) % all.length] ?? '';
      try {
        const res = await submit(url, await token(), item.processType, item.data, {
          clientProcessId: item.ref,
          idempotencyKey: key,
        });
        opts.onAnswer?.(res.status, res.headers, Date.now());
        if (res.status === 202) {
          accepted.set(res.body.processId, undefined);
          ids.push(res.body.processId);
          return;
        }
        note(String(res.status));
        if (res.status < 500 && res.status !== 429 && res.status !== 408)
          throw new Error(`item ${item.ref} refused: ${res.status} ${res.text}`);
      } catch (err) {
        if ((err as Error).message.includes('refused:')) throw err;
        note('network');
      }
      await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** Math.min(attempt, 4), 2000)));
    }
  }).then(() => undefined);
  return {
    accepted,
    retriedAnswers,
    submitted,
    acceptedCount: () => accepted.size,
    async finish(timeoutMs = 180_000) {
      await submitted;
      const t = await token();
      await pool(ids, 20, async (id) => {
        const view = await waitTerminal(urls(), t, id, timeoutMs);
        accepted.set(id, view.status);
      });
    },
  };
}

/** A mix of both types; `simulate` slows each handler step so faults land mid-handler. */
export function loadItems(count: number, prefix: string, simulate?: Simulate): LoadItem[] {
  return Array.from({ length: count }, (_, i) =>
    i % 3 === 2
      ? {
          processType: 'shipping' as const,
          ref: `${prefix}-${i}`,
          data: shippingData(`${prefix}-${i}`, simulate),
        }
      : {
          processType: 'order' as const,
          ref: `${prefix}-${i}`,
          data: orderData(`${prefix}-${i}`, 1, simulate),
        },
  );
}

/** A token getter that fetches once and then reuses it (tokens last an hour). */
export function cachedToken(get: () => Promise<string>): () => Promise<string> {
  let p: Promise<string> | undefined;
  return () => {
    p ??= get().catch((err) => {
      p = undefined;
      throw err;
    });
    return p;
  };
}
