/**
 * The Grafana dashboard the chart ships: valid JSON with the panels an operator expects, each
 * of whose queries reads only metrics that a StarGate component registers (the list is read
 * from the code's prom-client registrations, see exported-metrics.ts).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportedMetrics, metricsQueried } from './exported-metrics.js';
import { CHART_DIR } from './helm.js';

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
}
interface Dashboard {
  panels: Panel[];
  templating: { list: { name: string; query?: string | { query: string } }[] };
}

const load = async (): Promise<Dashboard> =>
  JSON.parse(await readFile(join(CHART_DIR, 'dashboards/stargate.json'), 'utf8')) as Dashboard;

function queries(d: Dashboard): { where: string; expr: string }[] {
  const out = d.panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr })),
  );
  for (const v of d.templating.list) {
    const q = typeof v.query === 'object' ? v.query.query : undefined;
    const labelValues = q && /^label_values\(([a-zA-Z_:][\w:]*)\s*,/.exec(q);
    if (labelValues?.[1]) out.push({ where: `variable $${v.name}`, expr: labelValues[1] });
  }
  return out;
}

describe('the Grafana dashboard', () => {
  it('reads the metric registrations of every component', async () => {
    const { names, unreadable } = await exportedMetrics();
    expect(unreadable, 'registrations the scan cannot read').toEqual([]);
    for (const known of ['gateway_requests_total', 'server_processes_total', 'stargate_operator_leader'])
      expect(names).toContain(known);
  });

  it('queries no metric that no component exports', async () => {
    const { names } = await exportedMetrics();
    const dashboard = await load();
    const missing = queries(dashboard).flatMap(({ where, expr }) =>
      metricsQueried(expr)
        .filter((m) => !names.has(m))
        .map((m) => `${where}: ${m}`),
    );
    expect(missing).toEqual([]);
  });

  it('notices a panel that queries a metric nobody exports', async () => {
    const { names } = await exportedMetrics();
    const found = metricsQueried(
      'sum by (le) (rate(gateway_no_such_metric_bucket{tenant=~"$tenant"}[5m])) / 1e-9',
    );
    expect(found).toEqual(['gateway_no_such_metric_bucket']);
    expect(names.has('gateway_no_such_metric_bucket')).toBe(false);
  });

  it('has the panels an operator looks for', async () => {
    const titles = (await load()).panels.map((p) => p.title).join('\n');
    for (const want of [
      /Requests per second by route/,
      /Requests per second by tenant/,
      /Error rate .* by route/,
      /Error rate .* by tenant/,
      /Latency p95 by route/,
      /Latency p95 by tenant/,
      /Rate-limit rejections/,
      /Queue depth by type/,
      /Queue wait .* by type/,
      /Processes by state/,
      /Time to result/,
      /Handler failures by code/,
      /MongoDB pool/,
      /Redis memory/,
    ])
      expect(titles).toMatch(want);
  });
});
