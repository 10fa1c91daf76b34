import { DEFAULT_POLLING_HINTS, type PollingHints } from '@stargate/contracts';

export type PollPhase = 'fast' | 'slow';

/**
 * The seed's schedule: first poll `firstPollSeconds` after the 202, every `fastIntervalSeconds`
 * while the process is younger than `fastPhaseSeconds`, every `slowIntervalSeconds` after.
 * `elapsedMs` is the age of the process at the poll that just finished.
 */
export function nextPollDelay(
  elapsedMs: number,
  hints: PollingHints = DEFAULT_POLLING_HINTS,
): { delayMs: number; phase: PollPhase } {
  if (elapsedMs < hints.fastPhaseSeconds * 1000)
    return { delayMs: hints.fastIntervalSeconds * 1000, phase: 'fast' };
  return { delayMs: hints.slowIntervalSeconds * 1000, phase: 'slow' };
}

/** Whether a process of this age has run past its type's maximum expected duration. */
export function isOverdue(elapsedMs: number, hints: PollingHints = DEFAULT_POLLING_HINTS): boolean {
  return elapsedMs >= hints.maxTimeoutSeconds * 1000;
}

/** Fills gaps in a (possibly partial) hint object from the gateway with the defaults. */
export function normalizeHints(hints: Partial<PollingHints> | undefined): PollingHints {
  const out: PollingHints = { ...DEFAULT_POLLING_HINTS };
  if (!hints) return out;
  for (const key of Object.keys(out) as (keyof PollingHints)[]) {
    const v = hints[key];
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) out[key] = v;
  }
  return out;
}
