/**
 * What both ways of `make dev` share: settings from the environment, the processes started
 * (stopped together on Ctrl-C or at the end), the gateway's environment and the closing hints.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROCESSES_PATH } from '@stargate/contracts';
import { type ManagedProcess, REPO_ROOT } from '../support/stack.js';
import { say } from './console.js';
import { devPort, needEnv, waitReady } from './processes.js';

export interface DevSettings {
  port: number;
  baseUrl: string;
  dataDir: string;
  /** Stop after the demo (the test of this runner), instead of running until Ctrl-C. */
  exitAfterDemo: boolean;
  /** Remove what the run made before stopping (STARGATE_DEV_TEARDOWN=1). */
  teardown: boolean;
  /**
   * Names this run's slice of the shared services: namespace, RabbitMQ vhost, MongoDB database
   * and Redis key prefix (STARGATE_DEV_NAMESPACE; `stargate-dev`, or `stargate-dev-files`).
   */
  slice: string;
  logLevel: string;
  redisUrl: string;
  amqpUrl: string;
  mongoUrl: string;
}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function readSettings(mode: 'cluster' | 'files'): DevSettings {
  const port = devPort();
  const slice =
    process.env.STARGATE_DEV_NAMESPACE?.trim() || (mode === 'files' ? 'stargate-dev-files' : 'stargate-dev');
  if (!DNS_LABEL.test(slice)) throw new Error(`STARGATE_DEV_NAMESPACE="${slice}" is not a namespace name`);
  return {
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    dataDir: process.env.STARGATE_DEV_DATA_DIR ?? join(REPO_ROOT, '.data', 'dev'),
    exitAfterDemo: process.env.STARGATE_DEV_EXIT_AFTER_DEMO === '1',
    teardown: process.env.STARGATE_DEV_TEARDOWN === '1',
    slice,
    logLevel: process.env.STARGATE_LOG_LEVEL ?? 'warn',
    redisUrl: needEnv('STARGATE_REDIS_URL'),
    amqpUrl: needEnv('STARGATE_AMQP_URL'),
    mongoUrl: needEnv('STARGATE_MONGO_URL'),
  };
}

export class DevRun {
  readonly children: ManagedProcess[] = [];
  /** Steps to run before the processes are stopped (newest first). */
  private readonly beforeStop: Array<() => Promise<void>> = [];
  private stopping = false;

  constructor(readonly settings: DevSettings) {}

  async prepare(): Promise<void> {
    const keys = join(this.settings.dataDir, 'keys');
    await mkdir(keys, { recursive: true });
    const keyFile = join(keys, 'dev-1.pem');
    if (!existsSync(keyFile)) {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    }
  }

  track(p: ManagedProcess): ManagedProcess {
    this.children.push(p);
    // Errors (log level warn and up) reach the terminal; normal operation stays quiet.
    p.child.stderr?.pipe(process.stderr);
    return p;
  }

  /** Adds a step to run before the processes are stopped; returns a function that drops it. */
  onStop(step: () => Promise<void>): () => void {
    this.beforeStop.unshift(step);
    return () => {
      const i = this.beforeStop.indexOf(step);
      if (i >= 0) this.beforeStop.splice(i, 1);
    };
  }

  waitReady(p: ManagedProcess, url: string, what: string): Promise<void> {
    return waitReady(p, url, what);
  }

  /** The gateway's environment apart from where its configuration comes from. */
  gatewayEnv(redisPrefix: string, amqpUrl: string): Record<string, string> {
    const s = this.settings;
    return {
      STARGATE_GATEWAY_HOST: '127.0.0.1',
      STARGATE_GATEWAY_PORT: String(s.port),
      STARGATE_PUBLIC_URL: s.baseUrl,
      STARGATE_REDIS_URL: s.redisUrl,
      STARGATE_REDIS_PREFIX: redisPrefix,
      STARGATE_AMQP_URL: amqpUrl,
      STARGATE_SIGNING_KEYS_DIR: join(s.dataDir, 'keys'),
      STARGATE_LOG_LEVEL: s.logLevel,
    };
  }

  tryItYourself(clientId: string, secretExpr: string): void {
    const base = this.settings.baseUrl;
    say('Try it yourself:');
    say(
      `  TOKEN=$(curl -s -u ${clientId}:${secretExpr} -d grant_type=client_credentials ${base}/oauth/token | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')`,
    );
    say(
      `  curl -s -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"clientProcessId":"o-1","processType":"order","data":{"orderId":"o-1","customerId":"c-1","items":[{"sku":"A-1","quantity":2,"unitPrice":5}]}}' ${base}${PROCESSES_PATH}`,
    );
    say(
      `  curl -s -H "Authorization: Bearer $TOKEN" -H 'Prefer: wait=30' ${base}${PROCESSES_PATH}/<processId>`,
    );
    say(
      `  STARGATE_URL=${base} STARGATE_CLIENT_ID=${clientId} STARGATE_CLIENT_SECRET=${secretExpr} node client-sdk/dist/cli.js submit order --data @order.json --wait`,
    );
    say(`  OpenAPI: ${base}/openapi.json   metrics: ${base}/metrics`);
  }

  /** Runs the stop steps, stops every process, exits. Safe to call more than once. */
  async stop(code: number): Promise<never> {
    if (!this.stopping) {
      this.stopping = true;
      say('\nstopping StarGate …');
      for (const step of this.beforeStop) {
        try {
          await step();
        } catch (err) {
          process.stderr.write(`make dev: while stopping: ${(err as Error).message}\n`);
        }
      }
      await Promise.all(this.children.map((c) => c.kill('SIGTERM')));
      say('stopped.');
      process.exit(code);
    }
    return new Promise<never>(() => undefined);
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** Until Ctrl-C, or until one of the processes exits on its own (then the rest are stopped). */
  async runUntilStopped(): Promise<void> {
    say('Press Ctrl-C to stop.');
    const code = await Promise.race(this.children.map((c) => c.exited.then((code) => ({ c, code }))));
    if (!this.stopping) {
      say(`${code.c.name} exited unexpectedly (${code.code}); stopping the rest`);
      await this.stop(1);
    }
  }
}
