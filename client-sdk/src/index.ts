/**
 * The StarGate client SDK: start processes on a StarGate server through its public gateway,
 * with a durable offline queue, adaptive polling that survives restarts, and at-least-once
 * delivery of results.
 *
 * @packageDocumentation
 */
export { createClient } from './client/client.js';
export type { StarGateClient } from './client/stargate-client.js';
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
export type { FetchLike } from './http/http-client.js';
export type { Logger } from './logger.js';
export type { OutboxEntry, TrackedProcess } from './outbox/store.js';
export { nextPollDelay, type PollPhase } from './polling/schedule.js';

// The wire types the API above speaks, so a customer names them from this package alone (the
// published package carries their declarations, bundled from the workspace's contracts). They
// are the public contract's types (contracts/src/api), checked against its JSON Schemas.
export type {
  CancelledStatusBody,
  CompletedStatusBody,
  ErrorBody,
  FailedStatusBody,
  ProcessErrorBody,
  ProcessListBody,
  ProcessStatusCommon,
  ProcessStatusBody,
  RunningStatusBody,
  SubmitAcceptedBody,
} from '@stargate/contracts';
export type {
  ErrorCode,
  PollingHints,
  Problem,
  ProcessStatus,
  ProcessTypeInfo,
} from '@stargate/contracts';
