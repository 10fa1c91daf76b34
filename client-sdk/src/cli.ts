#!/usr/bin/env node
import { runCli } from './cli/run.js';

// Ctrl-C stops a `wait` cleanly (exit 8); the process stays tracked in the local database.
const interrupt = new AbortController();
process.once('SIGINT', () => interrupt.abort());
process.once('SIGTERM', () => interrupt.abort());

process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  signal: interrupt.signal,
});
