/**
 * Cluster-scoped prerequisites of the chart on the development API server: the StarGate CRDs
 * (from crds/, applied idempotently and never deleted: other tests share them) and stand-ins
 * for the Prometheus Operator's ServiceMonitor, PodMonitor and PrometheusRule.
 */
import { kubectl, REPO_ROOT } from './helm.js';

/** Stand-ins accept any spec: the dry run then checks metadata and kind, not the monitoring schema. */
function standIn(kind: string, plural: string): string {
  return `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${plural}.monitoring.coreos.com
  annotations:
    stargate.io/purpose: stand-in for the chart tests; the real CRD comes with the Prometheus Operator
spec:
  group: monitoring.coreos.com
  scope: Namespaced
  names: { kind: ${kind}, plural: ${plural}, listKind: ${kind}List, singular: ${kind.toLowerCase()} }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
`;
}

export async function installCrds(): Promise<void> {
  await kubectl([
    'apply',
    '--server-side',
    '--force-conflicts',
    '--field-manager=stargate-chart-tests',
    '-f',
    `${REPO_ROOT}crds/`,
  ]);
  for (const [kind, plural] of [
    ['ServiceMonitor', 'servicemonitors'],
    ['PodMonitor', 'podmonitors'],
    ['PrometheusRule', 'prometheusrules'],
  ] as const) {
    const exists = await kubectl(['get', 'crd', `${plural}.monitoring.coreos.com`, '-o', 'name']).then(
      () => true,
      () => false,
    );
    // Never replace a real Prometheus Operator CRD (or another test's copy) with ours.
    if (!exists) await kubectl(['create', '-f', '-'], standIn(kind, plural)).catch(ignoreAlreadyExists);
  }
  for (const crd of [
    'tenants.stargate.io',
    'processtypes.stargate.io',
    'servicemonitors.monitoring.coreos.com',
    'podmonitors.monitoring.coreos.com',
    'prometheusrules.monitoring.coreos.com',
  ]) {
    await kubectl(['wait', '--for=condition=Established', '--timeout=30s', `crd/${crd}`]);
  }
}

function ignoreAlreadyExists(err: unknown): void {
  if (!String((err as { stderr?: string }).stderr ?? err).includes('AlreadyExists')) throw err;
}

export async function createNamespaces(names: string[]): Promise<void> {
  for (const name of names) await kubectl(['create', 'namespace', name]);
}

export async function deleteNamespaces(names: string[]): Promise<void> {
  for (const name of names)
    await kubectl(['delete', 'namespace', name, '--wait=false', '--ignore-not-found']);
}
