/** Starting and waiting for the StarGate processes `make dev` runs. */
import { createServer } from 'node:net';
import type { ManagedProcess } from '../support/stack.js';

/** Polls a health URL until it answers 2xx; fails early with the process's output if it exits. */
export async function waitReady(
  p: ManagedProcess,
  url: string,
  what: string,
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (p.child.exitCode !== null)
      throw new Error(`${what} exited during start-up:\n${p.output().slice(-4000)}`);
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2000) })).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`${what} did not become ready at ${url}:\n${p.output().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

export function devPort(): number {
  const port = Number(process.env.STARGATE_DEV_PORT ?? 8080);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error('STARGATE_DEV_PORT must be a TCP port');
  return port;
}

export function needEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through \`make dev\`, which starts the services`);
  return v;
}
