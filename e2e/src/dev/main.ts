/**
 * `make dev` (node e2e/dist/dev/main.js): StarGate on this machine with its operator on the
 * development Kubernetes API server (cluster.ts). `make dev-files` (… main.js files): without
 * Kubernetes, from configuration rendered from examples/ (files.ts).
 *
 * STARGATE_DEV_PORT (default 8080) moves the gateway; STARGATE_DEV_NAMESPACE (default
 * stargate-dev) the namespace; STARGATE_DEV_EXIT_AFTER_DEMO=1 stops after the demo and
 * STARGATE_DEV_TEARDOWN=1 then removes what the run made (both used by the test of this runner).
 */
import { runCluster } from './cluster.js';
import { runFiles } from './files.js';
import { portFree } from './processes.js';
import { DevRun, readSettings } from './run.js';

async function main(): Promise<void> {
  const mode = process.argv[2] ?? 'cluster';
  if (mode !== 'cluster' && mode !== 'files') {
    process.stderr.write(`make dev: unknown mode "${mode}" (cluster | files)\n`);
    process.exit(2);
  }
  const run = new DevRun(readSettings(mode));
  process.on('SIGINT', () => void run.stop(0));
  process.on('SIGTERM', () => void run.stop(0));
  try {
    if (!(await portFree(run.settings.port)))
      throw new Error(
        `port ${run.settings.port} is in use on 127.0.0.1: set STARGATE_DEV_PORT to another port`,
      );
    await run.prepare();
    const code = mode === 'files' ? await runFiles(run) : await runCluster(run);
    if (run.settings.exitAfterDemo) await run.stop(code);
    else await run.runUntilStopped();
  } catch (err) {
    if (run.isStopping) return;
    process.stderr.write(`make dev: ${(err as Error).message}\n`);
    await run.stop(1);
  }
}

await main();
