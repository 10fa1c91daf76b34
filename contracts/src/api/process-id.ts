/**
 * Process ids as the API specifies them: `PROC-` + the UTC day of acceptance (`YYYYMMDD`) +
 * a sequence of at least five digits. The sequence is unique per day for ever: gateways hand
 * out numbers from blocks the server reserves in MongoDB (`reserve-process-ids`), so neither a
 * restart nor the loss of Redis can reuse one. Past 99,999 it grows to more digits.
 * Processes accepted before API 1.0 have UUIDs; those stay readable.
 */
export const PROCESS_ID_PATTERN = '^PROC-[0-9]{8}-[0-9]{5,}$';
const PROCESS_ID_RE = /^PROC-([0-9]{8})-([0-9]{5,})$/;
const LEGACY_ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DAY_RE = /^[0-9]{8}$/;

/** `YYYYMMDD` of an instant, in UTC. */
export function utcDay(at: Date | number): string {
  return new Date(at).toISOString().slice(0, 10).replaceAll('-', '');
}

export function isUtcDay(value: unknown): value is string {
  if (typeof value !== 'string' || !DAY_RE.test(value)) return false;
  const iso = `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 8)}T00:00:00Z`;
  return !Number.isNaN(Date.parse(iso)) && utcDay(Date.parse(iso)) === value;
}

export function formatProcessId(day: string, sequence: number): string {
  if (!isUtcDay(day)) throw new RangeError(`not a UTC day: ${day}`);
  if (!Number.isSafeInteger(sequence) || sequence < 1) throw new RangeError(`bad sequence ${sequence}`);
  return `PROC-${day}-${String(sequence).padStart(5, '0')}`;
}

export function parseProcessId(id: string): { day: string; sequence: number } | undefined {
  const m = PROCESS_ID_RE.exec(id);
  if (!m || !isUtcDay(m[1])) return undefined;
  return { day: m[1]!, sequence: Number(m[2]) };
}

/** A process id of API 1.0 or an older UUID one. */
export function isProcessId(id: string): boolean {
  return parseProcessId(id) !== undefined || LEGACY_ID_RE.test(id);
}

/** The start of the UTC day after `at`, in ms. */
export function nextUtcDayStart(at: number): number {
  const d = new Date(at);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
}
