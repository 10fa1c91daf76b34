import { type HandlerContext, HandlerError, sleep } from './define-handler.js';

/**
 * DEMO BEHAVIOUR of the built-in example handlers only (order, shipping): a request may carry
 * `simulate: { delayMs, failTimes }` so demos and tests can show progress, retries and
 * timeouts without a real backend. `delayMs` waits (abortable) at each step; `failTimes`
 * makes the first N attempts fail with the retryable `TEMPORARY_FAILURE`.
 */
export interface Simulation {
  delayMs?: number;
  failTimes?: number;
}

export const SIMULATION_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    delayMs: { type: 'integer', minimum: 0, maximum: 600000 },
    failTimes: { type: 'integer', minimum: 0, maximum: 100 },
  },
} as const;

export async function simulatedStep(ctx: HandlerContext, sim: Simulation | undefined): Promise<void> {
  if (sim?.delayMs) await sleep(sim.delayMs, ctx.signal);
}

export function simulatedFailure(ctx: HandlerContext, sim: Simulation | undefined): void {
  if (sim?.failTimes !== undefined && ctx.attempt <= sim.failTimes) {
    throw new HandlerError('TEMPORARY_FAILURE', `simulated temporary failure on attempt ${ctx.attempt}`, {
      retryable: true,
      details: { attempt: ctx.attempt, failTimes: sim.failTimes },
    });
  }
}
