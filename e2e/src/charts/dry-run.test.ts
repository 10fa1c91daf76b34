/**
 * Every manifest the chart renders, for each values file, sent to the real kube-apiserver with
 * server-side apply in dry-run mode: the API server validates it against its schemas (and the
 * CRDs) exactly as an install would, without creating anything.
 */
import { uniqueName } from '@stargate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNamespaces, deleteNamespaces, installCrds } from './crds.js';
import { kubectl, render, templateText, VALUES_FILES } from './helm.js';

const created: string[] = [];

beforeAll(async () => {
  await installCrds();
});

afterAll(async () => {
  await deleteNamespaces(created);
});

/** The quick start with every optional part switched on, so no template escapes the dry run. */
const EVERYTHING_ON = {
  'metrics.serviceMonitor.enabled': true,
  'metrics.prometheusRule.enabled': true,
  'metrics.grafanaDashboard.enabled': true,
  'gateway.ingress.enabled': true,
  'gateway.ingress.tlsSecret': 'tls',
  'gateway.autoscaling.enabled': true,
  'gateway.tls.mode': 'gateway',
  'gateway.tls.secretName': 'gateway-tls',
  'gateway.tls.chainKey': 'ca.crt',
  'networkPolicy.externalIssuers.enabled': true,
  'networkPolicy.monitoringFrom[0].namespaceSelector.matchLabels.team': 'monitoring',
  'networkPolicy.gatewayIngressFrom[0].namespaceSelector.matchLabels.team': 'ingress',
};
const CASES: [string, string, Record<string, string | boolean>][] = [
  ...VALUES_FILES.map((f): [string, string, Record<string, string | boolean>] => [f, f, {}]),
  ['values.yaml with every option on', 'values.yaml', EVERYTHING_ON],
];

describe.each(CASES)('server-side dry run of %s', (_label, file, extra) => {
  it('is accepted by the API server, every object', async () => {
    const release = uniqueName('sgchart');
    const ns = { release, public: `${release}-pub`, private: `${release}-priv` };
    created.push(ns.release, ns.public, ns.private);
    await createNamespaces([ns.release, ns.public, ns.private]);
    const opts = {
      valuesFile: file,
      namespace: ns.release,
      set: {
        ...extra,
        'namespaces.create': false,
        'namespaces.public': ns.public,
        'namespaces.private': ns.private,
      },
    };
    const docs = await render(opts);
    const { stdout } = await kubectl(
      ['apply', '--server-side', '--dry-run=server', '--field-manager=helm', '-f', '-'],
      await templateText(opts),
    );
    const accepted = stdout.split('\n').filter((l) => l.endsWith('(server dry run)'));
    expect(accepted).toHaveLength(docs.length);
    // The dry run created nothing.
    const { stdout: left } = await kubectl([
      'get',
      'deployments,secrets,roles',
      '-n',
      ns.public,
      '-o',
      'name',
    ]);
    expect(left.trim()).toBe('');
  });
});

it('the Namespace objects of the quick start are accepted too', async () => {
  const release = uniqueName('sgchartns');
  const docs = await render({
    namespace: release,
    set: { 'namespaces.public': `${release}-pub`, 'namespaces.private': `${release}-priv` },
  });
  const namespaces = docs.filter((d) => d.kind === 'Namespace');
  expect(namespaces).toHaveLength(2);
  const { stdout } = await kubectl(
    ['apply', '--server-side', '--dry-run=server', '-f', '-'],
    namespaces.map((n) => JSON.stringify(n)).join('\n'),
  );
  expect(stdout).toContain(`namespace/${release}-pub serverside-applied (server dry run)`);
  expect(stdout).toContain(`namespace/${release}-priv serverside-applied (server dry run)`);
});
