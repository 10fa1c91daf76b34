import type { RedisKeys } from '@stargate/contracts';
import type { Redis } from 'ioredis';
import type { Auditor } from '../audit/audit.js';
import type { RefreshTokenStore } from '../auth/refresh-tokens.js';
import type { SigningKeys } from '../auth/signing-keys.js';
import type { TokenIssuer } from '../auth/token-issuer.js';
import type { TokenVerifier } from '../auth/token-verifier.js';
import type { Broker } from '../broker/broker.js';
import type { RpcClient } from '../broker/rpc-client.js';
import type { ConfigStore } from '../config/config-store.js';
import type { IdempotencyStore } from '../idempotency/idempotency-store.js';
import type { ProcessIdAllocator } from '../idempotency/process-id-allocator.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { RateLimiter } from '../ratelimit/rate-limiter.js';
import type { ChangeNotifier } from '../state/change-notifier.js';
import type { ProcessReader } from '../state/process-reader.js';
import type { StateStore } from '../state/state-store.js';

/** Everything a route needs, built once by createGateway and handed to each route plugin. */
export interface GatewayContext {
  publicUrl: string;
  issuer: string;
  audience: string;
  redis: Redis;
  keys: RedisKeys;
  config: ConfigStore;
  signingKeys: () => SigningKeys;
  tokenIssuer: TokenIssuer;
  tokenVerifier: TokenVerifier;
  refreshTokens: RefreshTokenStore;
  rateLimiter: RateLimiter;
  idempotency: IdempotencyStore;
  processIds: ProcessIdAllocator;
  broker: Broker;
  rpc: RpcClient;
  reader: ProcessReader;
  stateStore: StateStore;
  notifier: ChangeNotifier;
  auditor: Auditor;
  metrics: Metrics;
  logger: Logger;
  now: () => number;
  /** Health: false while draining or before start-up finished. */
  lifecycle: { started: boolean; draining: boolean };
}
