export { createClient, type StarGateClient } from './client/client.js';
export type {
  AlertEvent,
  ClientEvents,
  ClientOptions,
  HandleState,
  HandleStatus,
  ListFilter,
  PollOptions,
  ProcessHandle,
  ResultHandler,
  SubmitOptions,
  WarningEvent,
} from './client/types.js';
export type { BackoffOptions } from './backoff/backoff.js';
export type { Clock } from './clock.js';
export {
  AuthenticationError,
  ClientClosedError,
  ProblemError,
  ProcessFailedError,
  StarGateError,
  TransientError,
} from './errors.js';
export type { Logger } from './logger.js';
export type { OutboxEntry, TrackedProcess } from './outbox/store.js';
export { nextPollDelay } from './polling/schedule.js';
