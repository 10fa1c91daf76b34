import type { ProcessView } from '@stargate/contracts';

/** One line of a TTY progress bar, redrawn in place. */
export function progressLine(view: ProcessView, width = 30): string {
  const pct = Math.max(
    0,
    Math.min(100, Math.round(view.progress?.percent ?? (view.status === 'completed' ? 100 : 0))),
  );
  const filled = Math.round((pct / 100) * width);
  const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
  const step = view.progress?.currentStep ? ` ${view.progress.currentStep}` : '';
  return `\r[${bar}] ${String(pct).padStart(3)}% ${view.status}${step}`.padEnd(width + 40);
}
