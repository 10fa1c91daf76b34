/**
 * The chart's alerts, evaluated by Prometheus' own rule engine: the PrometheusRule that
 * `helm template` renders is written out as a rule file and `promtool test rules` runs
 * alerts.promtool.yaml against it (each alert: a series that fires it, one that must not).
 * Also: every alert the specification lists is there with severity, summary and a runbook
 * section that exists, and the rule is on by default exactly when the cluster has the CRD.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { installCrds } from './crds.js';
import { exportedMetrics, metricsQueried } from './exported-metrics.js';
import { CHART_DIR, helm, type Manifest, REPO_ROOT } from './helm.js';

const run = promisify(execFile);
const PROMETHEUS_RULE_API = 'monitoring.coreos.com/v1/PrometheusRule';

interface Rule {
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
type PrometheusRule = Manifest & { spec: { groups: { name: string; rules: Rule[] }[] } };

/** The alert for each line of the specification's alerting list. */
const SPEC_ALERTS = {
  'error rate > 1 %': 'StarGateHighErrorRate',
  'p95 latency > 2 s': 'StarGateSlowRequests',
  'queue backlog > 1,000': 'StarGateQueueBacklog',
  'database connection exhaustion': 'StarGateMongoPoolExhausted',
  'cache eviction rate spikes': 'StarGateRedisEvictionSpike',
  '> 3 consecutive poll failures per process': 'StarGatePollingFailures',
  'polling timeout rate > 0.5 %': 'StarGatePollingTimeoutRate',
  'polling interval anomalies': 'StarGatePollingIntervalAnomaly',
};

function promtool(): string {
  const bin = process.env.STARGATE_PROMTOOL;
  if (!bin)
    throw new Error(
      'STARGATE_PROMTOOL is not set: run the tests through `make test` (tools/services.sh builds promtool and exports it)',
    );
  return bin;
}

async function renderKind<T extends Manifest>(kind: string, args: string[]): Promise<T[]> {
  const { stdout } = await helm([
    'template',
    'sg',
    CHART_DIR,
    '--namespace',
    'stargate-system',
    // No cluster keeps generated secrets here; the rule file does not depend on them.
    '--set',
    'generatedSecrets.allowWithoutCluster=true',
    ...args,
  ]);
  return parseAllDocuments(stdout)
    .map((d) => d.toJS() as Manifest | null)
    .filter((d): d is T => d?.kind === kind);
}
const renderRules = (args: string[]) => renderKind<PrometheusRule>('PrometheusRule', args);

let rule: PrometheusRule;
let dir: string;
beforeAll(async () => {
  const rules = await renderRules(['--api-versions', PROMETHEUS_RULE_API]);
  expect(rules).toHaveLength(1);
  rule = rules[0] as PrometheusRule;
  dir = await mkdtemp(join(tmpdir(), 'stargate-alerts-'));
  await writeFile(join(dir, 'stargate-rules.yaml'), stringify({ groups: rule.spec.groups }));
  await copyFile(join(REPO_ROOT, 'e2e/src/charts/alerts.promtool.yaml'), join(dir, 'alerts.promtool.yaml'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const alerts = () => rule.spec.groups.flatMap((g) => g.rules).filter((r) => r.alert);

describe('the rendered PrometheusRule', () => {
  it('passes promtool check rules', async () => {
    const { stdout } = await run(promtool(), ['check', 'rules', join(dir, 'stargate-rules.yaml')]);
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('passes promtool test rules: each alert fires on its series and stays quiet on the near miss', async () => {
    const result = await run(promtool(), ['test', 'rules', join(dir, 'alerts.promtool.yaml')]).catch(
      (err: { stdout?: string; stderr?: string }) => {
        throw new Error(`promtool test rules failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
      },
    );
    expect(result.stdout).toContain('SUCCESS');
  });

  it('has every alert of the specification, and a promtool test for every alert', async () => {
    const names = alerts().map((r) => r.alert);
    for (const alert of Object.values(SPEC_ALERTS)) expect(names).toContain(alert);
    const tests = await readFile(join(REPO_ROOT, 'e2e/src/charts/alerts.promtool.yaml'), 'utf8');
    for (const name of names) expect(tests, `no promtool test for ${name}`).toContain(`alertname: ${name}`);
  });

  it('gives each alert a severity, a summary and a runbook section that exists in docs/observability.md', async () => {
    const doc = await readFile(join(REPO_ROOT, 'docs/observability.md'), 'utf8');
    const anchors = new Set(
      [...doc.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
        (m[1] ?? '')
          .trim()
          .toLowerCase()
          .replace(/[^\w\- ]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    for (const r of alerts()) {
      expect(['critical', 'warning'], r.alert).toContain(r.labels?.severity);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
      const url = r.annotations?.runbook_url ?? '';
      expect(url, r.alert).toMatch(/^https:\/\/.+\/docs\/observability\.md#/);
      expect(anchors, `${r.alert}: no section "${url.split('#')[1]}"`).toContain(url.split('#')[1]);
    }
  });

  it('queries only metrics that StarGate exports', async () => {
    const { names } = await exportedMetrics();
    for (const r of rule.spec.groups.flatMap((g) => g.rules))
      for (const metric of metricsQueried(r.expr))
        expect(names, `${r.alert}: ${metric} is exported by no component`).toContain(metric);
  });
});

describe('when the chart installs the PrometheusRule', () => {
  it('by default, exactly when the cluster serves the PrometheusRule API', async () => {
    expect(await renderRules([])).toHaveLength(0);
    expect(await renderRules(['--api-versions', PROMETHEUS_RULE_API])).toHaveLength(1);
  });

  it('by default on a real API server that has the Prometheus Operator CRDs (helm asks its discovery)', async () => {
    await installCrds();
    const args = ['--validate'];
    expect(await renderRules(args)).toHaveLength(1);
    expect((await renderKind('ServiceMonitor', args)).length).toBeGreaterThan(0);
  });

  it('always with enabled=true, never with enabled=false', async () => {
    expect(await renderRules(['--set', 'metrics.prometheusRule.enabled=true'])).toHaveLength(1);
    expect(
      await renderRules([
        '--api-versions',
        PROMETHEUS_RULE_API,
        '--set',
        'metrics.prometheusRule.enabled=false',
      ]),
    ).toHaveLength(0);
  });
});

describe('the scrapes the alerts need', () => {
  it('are set up by default exactly when the cluster serves the ServiceMonitor API', async () => {
    expect(await renderKind('ServiceMonitor', [])).toHaveLength(0);
    const monitors = await renderKind('ServiceMonitor', [
      '--api-versions',
      'monitoring.coreos.com/v1/ServiceMonitor',
    ]);
    expect(monitors.map((m) => m.metadata.name)).toContain('sg-stargate-gateway');
    const pods = await renderKind('PodMonitor', [
      '--api-versions',
      'monitoring.coreos.com/v1/ServiceMonitor',
    ]);
    expect(pods.map((m) => m.metadata.name)).toEqual(['sg-stargate-handlers', 'sg-stargate-operator']);
  });
});
