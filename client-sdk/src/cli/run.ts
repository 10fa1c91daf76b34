import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { ProcessStatusBody } from '@stargate/contracts';
import { createClient, type StarGateClient } from '../client/client.js';
import type { ClientOptions, PollOptions } from '../client/types.js';
import { AuthenticationError, ProblemError, ProcessFailedError, TransientError } from '../errors.js';
import {
  type CliConfig,
  ConfigError,
  checkUrl,
  defaultDatabase,
  insecureHttpFromEnv,
  loadConfig as loadConfigFrom,
  saveConfig,
} from './config.js';
import { progressLine } from './progress.js';

/** Exit codes scripts can rely on (also in the README). */
export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  failed: 3,
  cancelled: 4,
  queued: 5,
  auth: 6,
  rejected: 7,
  timeout: 8,
  unavailable: 9,
} as const;

export interface CliIo {
  env: Record<string, string | undefined>;
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  /** Stops a `wait` (SIGINT); the process stays tracked and `stargate wait` resumes it. */
  signal?: AbortSignal;
  /** Test seam: client options merged over the configuration. */
  clientOverrides?: Partial<ClientOptions>;
}

const USAGE = `usage: stargate <command> [options]

  login --url <url> --client-id <id> [--client-secret <secret>] [--allow-insecure-http]
                                          verify and save credentials
  types                                   process types this client may use
  submit <type> --data <@file.json|json> [--client-process-id <id>] [--wait] [--timeout <s>]
  status <processId>                      current status
  wait <processId> [--timeout <s>]        poll until the process finishes
  list [--status <s>] [--type <t>] [--limit <n>] [--cursor <c>]
  cancel <processId>
  retry <processId>                       retry a retryable failure
  queue [show|flush|purge]                the local offline queue

options: --json (JSON output even on a terminal)
         --allow-insecure-http (accept http:// to a host that is not loopback; not for the internet)
env: STARGATE_URL, STARGATE_CLIENT_ID, STARGATE_CLIENT_SECRET, STARGATE_DB, STARGATE_CONFIG,
     STARGATE_ALLOW_INSECURE_HTTP
exit codes: 0 ok, 1 error, 2 usage/config, 3 process failed, 4 cancelled, 5 queued offline,
            6 authentication, 7 rejected by the gateway, 8 wait timed out (still running),
            9 gateway unreachable`;

class UsageError extends Error {}

const OPTIONS = {
  json: { type: 'boolean' },
  wait: { type: 'boolean' },
  data: { type: 'string' },
  'client-process-id': { type: 'string' },
  timeout: { type: 'string' },
  status: { type: 'string' },
  type: { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  url: { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
  'allow-insecure-http': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function readData(arg: string | undefined): Promise<unknown> {
  if (arg === undefined) throw new UsageError('submit needs --data @file.json or inline JSON');
  const text = arg.startsWith('@') ? await readFile(arg.slice(1), 'utf8') : arg;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--data is not valid JSON: ${(err as Error).message}`);
  }
}

function timeoutSignal(seconds: string | undefined, outer: AbortSignal | undefined): AbortSignal | undefined {
  const signals: AbortSignal[] = [];
  if (outer) signals.push(outer);
  if (seconds !== undefined) {
    const n = Number(seconds);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError('--timeout must be a positive number of seconds');
    signals.push(AbortSignal.timeout(n * 1000));
  }
  return signals.length ? AbortSignal.any(signals) : undefined;
}

function exitFor(view: ProcessStatusBody): number {
  if (view.status === 'completed') return EXIT.ok;
  if (view.status === 'cancelled') return EXIT.cancelled;
  if (view.status === 'failed') return EXIT.failed;
  return EXIT.timeout;
}

/** Runs one CLI invocation and returns its exit code (the entry point sets process.exitCode). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    io.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  const { values: opts, positionals } = parsed;
  const [command, ...args] = positionals;
  if (!command || opts.help) {
    io.stdout.write(`${USAGE}\n`);
    return command || opts.help ? EXIT.ok : EXIT.usage;
  }
  const human = !opts.json && io.stdout.isTTY === true;
  const print = (value: unknown, text?: string) => {
    io.stdout.write(
      human && text !== undefined ? `${text}\n` : `${JSON.stringify(value, null, human ? 2 : undefined)}\n`,
    );
  };

  const loadConfig = (env: Record<string, string | undefined>) =>
    loadConfigFrom(env, { allowInsecureHttp: opts['allow-insecure-http'] === true });
  let client: StarGateClient | undefined;
  const open = (cfg: CliConfig) => {
    client = createClient({
      baseUrl: cfg.url,
      clientId: cfg.clientId,
      clientSecret: cfg.clientSecret,
      databasePath: cfg.database,
      ...(cfg.allowInsecureHttp ? { allowInsecureHttp: true } : {}),
      autoStart: false,
      ...io.clientOverrides,
    });
    return client;
  };
  const waitFor = async (
    c: StarGateClient,
    processId: string,
    view: ProcessStatusBody | undefined,
    poll: (o: PollOptions) => Promise<ProcessStatusBody>,
  ) => {
    const signal = timeoutSignal(opts.timeout, io.signal);
    const onProgress = (v: ProcessStatusBody) => {
      if (io.stderr.isTTY) io.stderr.write(progressLine(v));
    };
    if (view) onProgress(view);
    try {
      const final = await poll({ ...(signal ? { signal } : {}), onProgress });
      if (io.stderr.isTTY) io.stderr.write(`${progressLine(final)}\n`);
      print(final, `${final.processId} completed\n${JSON.stringify(final.result, null, 2)}`);
      return EXIT.ok;
    } catch (err) {
      if (io.stderr.isTTY) io.stderr.write('\n');
      if (err instanceof ProcessFailedError && err.view) {
        print(
          err.view,
          `${err.processId} ${err.status}${err.error ? `: ${err.error.code} ${err.error.message}` : ''}`,
        );
        return exitFor(err.view);
      }
      if (signal?.aborted) {
        // Still running: the process stays tracked locally and `stargate wait <id>` carries on.
        const current = await c.get(processId).catch(() => view);
        print(current ?? { processId }, `${processId} still ${current?.status ?? 'running'}`);
        return EXIT.timeout;
      }
      throw err;
    }
  };

  try {
    switch (command) {
      case 'login': {
        const cfg: CliConfig = {
          url: opts.url ?? io.env.STARGATE_URL ?? '',
          clientId: opts['client-id'] ?? io.env.STARGATE_CLIENT_ID ?? '',
          clientSecret: opts['client-secret'] ?? io.env.STARGATE_CLIENT_SECRET ?? '',
          database: io.env.STARGATE_DB ?? defaultDatabase(io.env),
        };
        if (!cfg.url || !cfg.clientId || !cfg.clientSecret)
          throw new UsageError(
            'login needs --url, --client-id and --client-secret (or STARGATE_CLIENT_SECRET)',
          );
        // Saved with the credentials, so later commands accept the same URL.
        if (opts['allow-insecure-http'] === true || insecureHttpFromEnv(io.env)) cfg.allowInsecureHttp = true;
        checkUrl('--url', cfg.url, cfg.allowInsecureHttp === true);
        const types = await open(cfg).processTypes();
        const path = await saveConfig(io.env, cfg);
        print(
          { saved: path, processTypes: types.map((t) => t.name) },
          `logged in; configuration saved to ${path}`,
        );
        return EXIT.ok;
      }
      case 'types': {
        const types = await open(await loadConfig(io.env)).processTypes();
        print(
          types,
          types.map((t) => `${t.name}\t${t.operations.join(',')}\t${t.description ?? ''}`).join('\n'),
        );
        return EXIT.ok;
      }
      case 'submit': {
        const [type] = args;
        if (!type) throw new UsageError('submit needs a process type');
        const data = await readData(opts.data);
        const c = open(await loadConfig(io.env));
        const cpid = opts['client-process-id'];
        const handle = await c.submit(type, data, cpid ? { clientProcessId: cpid } : {});
        if (handle.status === 'queued') {
          print(
            { status: 'queued', idempotencyKey: handle.idempotencyKey },
            `gateway unreachable: submission queued locally (${handle.idempotencyKey}); send it with \`stargate queue flush\``,
          );
          return EXIT.queued;
        }
        if (!opts.wait) {
          print(
            { processId: handle.processId, status: handle.status },
            `${handle.processId} ${handle.status}`,
          );
          return EXIT.ok;
        }
        return await waitFor(c, handle.processId ?? '', handle.view, (o) => handle.pollUntilDone(o));
      }
      case 'status': {
        const [id] = args;
        if (!id) throw new UsageError('status needs a process id');
        const view = await open(await loadConfig(io.env)).get(id);
        print(
          view,
          `${view.processId} ${view.processType} ${view.status} ${view.progress}%${view.currentStep ? ` ${view.currentStep}` : ''}`,
        );
        return EXIT.ok;
      }
      case 'wait': {
        const [id] = args;
        if (!id) throw new UsageError('wait needs a process id');
        const c = open(await loadConfig(io.env));
        const view = await c.get(id);
        const handle = c.resume({ processId: id, processType: view.processType });
        return await waitFor(c, id, view, (o) => handle.pollUntilDone(o));
      }
      case 'list': {
        const limit = opts.limit !== undefined ? Number(opts.limit) : undefined;
        if (limit !== undefined && !(Number.isInteger(limit) && limit > 0))
          throw new UsageError('--limit must be a positive integer');
        const page = await open(await loadConfig(io.env)).list({
          ...(opts.status ? { status: opts.status as ProcessStatusBody['status'] } : {}),
          ...(opts.type ? { processType: opts.type } : {}),
          ...(limit ? { limit } : {}),
          ...(opts.cursor ? { cursor: opts.cursor } : {}),
        });
        print(
          page,
          [
            ...page.items.map((v) => `${v.processId}\t${v.processType}\t${v.status}\t${v.createdAt}`),
            ...(page.nextCursor ? [`(more: --cursor ${page.nextCursor})`] : []),
          ].join('\n'),
        );
        return EXIT.ok;
      }
      case 'cancel': {
        const [id] = args;
        if (!id) throw new UsageError('cancel needs a process id');
        const view = await open(await loadConfig(io.env)).cancel(id);
        print(view, `${id} ${view?.status ?? 'cancel requested'}`);
        return EXIT.ok;
      }
      case 'retry': {
        const [id] = args;
        if (!id) throw new UsageError('retry needs a process id');
        const view = await open(await loadConfig(io.env)).retry(id);
        print(view, `${id} ${view?.status ?? 'retry requested'}`);
        return EXIT.ok;
      }
      case 'queue': {
        const action = args[0] ?? 'show';
        const c = open(await loadConfig(io.env));
        if (action === 'show') {
          const q = c.queue();
          print(
            q,
            q.length === 0
              ? 'queue empty'
              : q
                  .map(
                    (e) =>
                      `${e.idempotencyKey}\t${e.processType}\t${e.clientProcessId ?? ''}\tattempts=${e.attempts}`,
                  )
                  .join('\n'),
          );
          return EXIT.ok;
        }
        if (action === 'flush') {
          const { remaining } = await c.flush();
          print(
            { remaining },
            remaining === 0 ? 'queue flushed' : `${remaining} still queued (gateway unreachable)`,
          );
          return remaining === 0 ? EXIT.ok : EXIT.queued;
        }
        if (action === 'purge') {
          const purged = c.purgeQueue();
          print({ purged }, `${purged} queued submission(s) removed`);
          return EXIT.ok;
        }
        throw new UsageError(`unknown queue action: ${action} (show, flush, purge)`);
      }
      default:
        throw new UsageError(`unknown command: ${command}`);
    }
  } catch (err) {
    const message = (err as Error).message;
    if (err instanceof UsageError) {
      io.stderr.write(`${message}\n\n${USAGE}\n`);
      return EXIT.usage;
    }
    io.stderr.write(`stargate: ${message}\n`);
    if (err instanceof ConfigError) return EXIT.usage;
    if (err instanceof AuthenticationError) return EXIT.auth;
    if (err instanceof ProblemError)
      return err.status === 401 || err.status === 403 ? EXIT.auth : EXIT.rejected;
    if (err instanceof TransientError) return EXIT.unavailable;
    return EXIT.error;
  } finally {
    await client?.close();
  }
}
