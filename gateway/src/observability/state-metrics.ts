import { isTerminal, type ProcessStateData } from '@stargate/contracts';
import type { Metrics } from './metrics.js';

/** The SDK's default polling timeout, used for types without their own `maxTimeoutSeconds`. */
export const DEFAULT_POLLING_TIMEOUT_SECONDS = 600;

const FAILURE_CODE = /^[A-Z0-9_]{1,64}$/;

/**
 * Metrics of a state event the projector applied (each event is applied by exactly one
 * gateway, once): events by status, and for a terminal state the time to result and whether it
 * came later than the type's polling timeout (a client following the schedule gave up before).
 */
export function observeAppliedState(
  metrics: Metrics,
  state: ProcessStateData,
  pollingTimeoutSeconds: (type: string) => number | undefined,
): void {
  metrics.stateEvents.inc({ type: state.processType, status: state.status });
  if (!isTerminal(state.status)) return;
  if (state.status === 'failed') {
    const code = state.error?.code ?? '';
    // Handlers choose their codes: anything unusual is folded, so the series stay few.
    metrics.processFailures.inc({ type: state.processType, code: FAILURE_CODE.test(code) ? code : 'OTHER' });
  }
  const seconds = (Date.parse(state.completedAt ?? state.updatedAt) - Date.parse(state.createdAt)) / 1000;
  if (!Number.isFinite(seconds) || seconds < 0) return;
  metrics.timeToResult.observe({ type: state.processType, status: state.status }, seconds);
  const limit = pollingTimeoutSeconds(state.processType) ?? DEFAULT_POLLING_TIMEOUT_SECONDS;
  if (seconds > limit) metrics.pollingTimeouts.inc({ tenant: state.tenantId, type: state.processType });
}
