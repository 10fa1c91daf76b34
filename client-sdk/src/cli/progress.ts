import type { ProcessStatusBody } from '@stargate/contracts';

/** One line of a TTY progress bar, redrawn in place. */
export function progressLine(view: ProcessStatusBody, width = 30): string {
  const pct = Math.max(0, Math.min(100, Math.round(typeof view.progress === 'number' ? view.progress : 0)));
  const filled = Math.round((pct / 100) * width);
  const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
  const step = view.currentStep ? ` ${view.currentStep}` : '';
  return `\r[${bar}] ${String(pct).padStart(3)}% ${view.status}${step}`.padEnd(width + 40);
}
