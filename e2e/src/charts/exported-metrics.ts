/**
 * The metric names StarGate's components export, read from their prom-client registrations
 * (`new Counter|Gauge|Histogram|Summary({ name: '…' })` in gateway/, server/ and operator/
 * sources), with the series names a histogram or summary adds; and the metric names a PromQL
 * expression reads. The chart tests compare the two, so a dashboard panel or an alert cannot
 * query a metric nothing exports.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from './helm.js';

const COMPONENTS = ['gateway/src', 'server/src', 'operator/src'];
const REGISTRATION =
  /new (Counter|Gauge|Histogram|Summary)(?:<[^>]*>)?\(\{\s*name:\s*'([a-zA-Z_:][a-zA-Z0-9_:]*)'/g;
const CONSTRUCTOR = /new (Counter|Gauge|Histogram|Summary)(?:<[^>]*>)?\(/g;

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sources(path)));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

export interface ExportedMetrics {
  /** Every series name a scrape can show (histograms with _bucket, _sum, _count). */
  names: Set<string>;
  /** Registrations whose name is not a literal right after the constructor (the scan cannot read them). */
  unreadable: string[];
}

export async function exportedMetrics(): Promise<ExportedMetrics> {
  const names = new Set<string>();
  const unreadable: string[] = [];
  for (const component of COMPONENTS) {
    for (const file of await sources(join(REPO_ROOT, component))) {
      const text = await readFile(file, 'utf8');
      const found = [...text.matchAll(REGISTRATION)];
      const constructed = [...text.matchAll(CONSTRUCTOR)].length;
      if (constructed !== found.length) unreadable.push(file.slice(REPO_ROOT.length));
      for (const [, kind, name] of found) {
        if (!name) continue;
        names.add(name);
        if (kind === 'Histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
        if (kind === 'Summary') for (const s of ['_sum', '_count']) names.add(name + s);
      }
    }
  }
  return { names, unreadable };
}

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
  'le',
]);

/** The metric names a PromQL expression (or Grafana query) reads. */
export function metricsQueried(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings (label values, regexes)
    .replace(/\{[^{}]*\}/g, '') // label matchers
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/\[[^\]]*\]/g, '') // range selectors
    .replace(/\$\w+/g, ''); // Grafana variables
  const names: string[] = [];
  for (const m of stripped.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?/g)) {
    const [, name, call] = m;
    if (!name || call || KEYWORDS.has(name.toLowerCase())) continue;
    // A number's exponent (1e-9) is not a name.
    const before = stripped[(m.index ?? 0) - 1];
    if (before && /[0-9.]/.test(before)) continue;
    names.push(name);
  }
  return names;
}
