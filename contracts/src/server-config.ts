/**
 * ServerConfig: what a server worker needs about the process types it serves. The operator
 * writes one per ProcessType into a ConfigMap mounted by the handler Deployment
 * (STARGATE_SERVER_CONFIG_FILE); `make dev` renders one for all types from examples/.
 * Secrets never appear here: forwarding credentials are named by environment variable.
 */
import type { HandlerSpec } from './resources.js';
import type { ProcessQueueSettings } from './topology.js';

export interface RetryPolicy {
  maxAttempts: number;
  initialBackoffSeconds: number;
  maxBackoffSeconds: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 3,
  initialBackoffSeconds: 5,
  maxBackoffSeconds: 300,
});

export interface ForwardHandlerConfig {
  url: string;
  method: 'POST' | 'PUT' | 'PATCH';
  timeoutSeconds: number;
  headers?: Record<string, string>;
  /** Name of an environment variable (filled from a Secret) whose value is sent in `credentialsHeader`. */
  credentialsEnv?: string;
  credentialsHeader?: string;
}

export interface ProcessTypeRuntimeConfig {
  name: string;
  handler: { builtin: string } | { forward: ForwardHandlerConfig } | { module: string };
  concurrency: number;
  timeoutSeconds: number;
  /** The work queue's bound and delivery limit (defaults in topology.ts). */
  queue?: ProcessQueueSettings;
  retry: RetryPolicy;
  requestSchema: Record<string, unknown>;
  resultSchema?: Record<string, unknown>;
}

export interface ServerConfig {
  processTypes: ProcessTypeRuntimeConfig[];
  retention?: { defaultDays: number; tenants?: Record<string, number> };
}

export type { HandlerSpec };
