/**
 * Where HTTPS ends (gateway.tls.mode: the Ingress by default, or the gateway itself from a
 * kubernetes.io/tls Secret) and how far the default egress reaches (issue 16, Low: no longer
 * ports 443/6443 to any address).
 */
import type { V1Deployment, V1Ingress, V1NetworkPolicy, V1Service } from '@kubernetes/client-node';
import { serviceEnv } from '@stargate/testkit';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { CHART_DIR, find, helm, kubectl, type Manifest, render, renderError } from './helm.js';

const gatewayTls = {
  'gateway.tls.mode': 'gateway',
  'gateway.tls.secretName': 'stargate-gateway-tls',
  'gateway.ingress.enabled': true,
  'metrics.serviceMonitor.enabled': true,
};

function gatewayContainer(docs: Manifest[]) {
  const d = find<V1Deployment>(docs, 'Deployment', 'sg-stargate-gateway');
  const spec = d.spec!.template.spec!;
  return { spec, container: spec.containers.find((c) => c.name === 'gateway')! };
}

describe('TLS at the Ingress (the default) or at the gateway', () => {
  it('by default the gateway speaks plain HTTP behind the Ingress, which holds the certificate', async () => {
    const docs = await render({
      set: { 'gateway.ingress.enabled': true, 'gateway.ingress.tlsSecret': 'stargate-tls' },
    });
    const { spec, container } = gatewayContainer(docs);
    expect(container.env?.map((e) => e.name)).not.toContain('STARGATE_TLS_CERT_FILE');
    expect(container.readinessProbe?.httpGet?.scheme).toBeUndefined();
    expect(spec.volumes?.map((v) => v.name)).not.toContain('tls');
    const ingress = find<V1Ingress>(docs, 'Ingress', 'sg-stargate-gateway');
    expect(ingress.spec?.tls).toEqual([{ hosts: ['stargate.example.com'], secretName: 'stargate-tls' }]);
    expect(ingress.metadata?.annotations?.['nginx.ingress.kubernetes.io/backend-protocol']).toBeUndefined();
  });

  it('gateway mode mounts the kubernetes.io/tls Secret as files and probes, routes and scrapes over HTTPS', async () => {
    const docs = await render({ set: { ...gatewayTls, 'gateway.tls.chainKey': 'ca.crt' } });
    const { spec, container } = gatewayContainer(docs);
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({
      STARGATE_TLS_CERT_FILE: '/etc/stargate/tls/tls.crt',
      STARGATE_TLS_KEY_FILE: '/etc/stargate/tls/tls.key',
      STARGATE_TLS_CA_FILE: '/etc/stargate/tls/ca.crt',
    });
    // Mounted whole (a subPath mount would never see a renewal).
    const mount = container.volumeMounts?.find((m) => m.name === 'tls');
    expect(mount).toEqual({ name: 'tls', mountPath: '/etc/stargate/tls', readOnly: true });
    expect(spec.volumes?.find((v) => v.name === 'tls')?.secret).toEqual({
      secretName: 'stargate-gateway-tls',
      defaultMode: 0o440,
    });
    for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe])
      expect(probe?.httpGet?.scheme).toBe('HTTPS');
    const service = find<V1Service>(docs, 'Service', 'sg-stargate-gateway');
    expect(service.spec?.ports?.[0]?.appProtocol).toBe('https');
    const ingress = find<V1Ingress>(docs, 'Ingress', 'sg-stargate-gateway');
    expect(ingress.metadata?.annotations?.['nginx.ingress.kubernetes.io/backend-protocol']).toBe('HTTPS');
    const monitor = find<{ spec: { endpoints: { scheme?: string; tlsConfig?: unknown }[] } }>(
      docs,
      'ServiceMonitor',
      'sg-stargate-gateway',
    );
    expect(monitor.spec.endpoints[0]).toMatchObject({
      scheme: 'https',
      tlsConfig: { insecureSkipVerify: true },
    });
  });

  it('gateway mode without a Secret, or an unknown mode, is refused with what to set', async () => {
    expect(await renderError({ set: { 'gateway.tls.mode': 'gateway' } })).toContain(
      'gateway.tls.secretName is required with gateway.tls.mode gateway',
    );
    expect(await renderError({ set: { 'gateway.tls.mode': 'edge' } })).toMatch(
      /gateway\/tls\/mode.*must be one of 'ingress', 'gateway'/,
    );
  });
});

describe('default egress (issue 16, Low: 443/6443 anywhere)', () => {
  const policy = (docs: Manifest[], name: string) => find<V1NetworkPolicy>(docs, 'NetworkPolicy', name);
  /** Egress rules that name a port but no peer: that port to any address. */
  const openPorts = (np: V1NetworkPolicy) =>
    (np.spec?.egress ?? [])
      .filter((r) => !r.to?.length)
      .flatMap((r) => (r.ports ?? []).map((p) => Number(p.port)));

  it('with the API server CIDRs the operator reaches only DNS and the API server; the gateway no HTTPS elsewhere', async () => {
    const docs = await render({ set: { 'networkPolicy.kubeApiServer.cidrs': '{10.96.0.1/32}' } });
    const operator = policy(docs, 'sg-stargate-operator');
    expect(operator.spec?.egress).toEqual([
      {
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      },
      {
        ports: [
          { protocol: 'TCP', port: 443 },
          { protocol: 'TCP', port: 6443 },
        ],
        to: [{ ipBlock: { cidr: '10.96.0.1/32' } }],
      },
    ]);
    const gateway = policy(docs, 'sg-stargate-gateway');
    expect(openPorts(gateway)).toEqual([53, 53]);
  });

  it('JWKS egress for the gateway only when external issuers are turned on, to their CIDRs when given', async () => {
    const base = { 'networkPolicy.kubeApiServer.cidrs': '{10.96.0.1/32}' };
    const on = await render({ set: { ...base, 'networkPolicy.externalIssuers.enabled': true } });
    expect(openPorts(policy(on, 'sg-stargate-gateway'))).toEqual([53, 53, 443]);
    // The operator never gets it.
    expect(openPorts(policy(on, 'sg-stargate-operator'))).toEqual([53, 53]);
    const pinned = await render({
      set: {
        ...base,
        'networkPolicy.externalIssuers.enabled': true,
        'networkPolicy.externalIssuers.cidrs': '{203.0.113.0/24}',
      },
    });
    const gateway = policy(pinned, 'sg-stargate-gateway');
    expect(openPorts(gateway)).toEqual([53, 53]);
    expect(gateway.spec?.egress?.at(-1)).toEqual({
      ports: [{ protocol: 'TCP', port: 443 }],
      to: [{ ipBlock: { cidr: '203.0.113.0/24' } }],
    });
  });

  it('by default the API server addresses are read from the cluster at install (EndpointSlice kubernetes)', async () => {
    // The development API server publishes no endpoints of its own: publish one for this render.
    // Applied and removed within this test; a concurrent render elsewhere at most sees a
    // narrower policy.
    const slice = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: 'kubernetes',
        namespace: 'default',
        labels: { 'kubernetes.io/service-name': 'kubernetes' },
      },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['192.0.2.10'] }, { addresses: ['192.0.2.11'] }],
      ports: [{ name: 'https', port: 6443, protocol: 'TCP' }],
    };
    const existing = await kubectl([
      'get',
      'endpointslice',
      'kubernetes',
      '-n',
      'default',
      '--ignore-not-found',
    ]);
    // A real control plane's own slice is never replaced.
    if (existing.stdout.trim() === '') await kubectl(['apply', '-f', '-'], JSON.stringify(slice));
    try {
      const { stdout } = await helm([
        'template',
        'sg',
        CHART_DIR,
        '--namespace',
        'stargate-system',
        '--dry-run=server',
        '--kubeconfig',
        serviceEnv().kubeconfig,
        '--set',
        'generatedSecrets.allowWithoutCluster=true',
        '--show-only',
        'templates/networkpolicies.yaml',
      ]);
      const docs = parseAllDocuments(stdout).map((d) => d.toJS() as Manifest);
      const api = policy(docs, 'sg-stargate-operator').spec?.egress?.[1];
      if (existing.stdout.trim() === '')
        expect(api?.to).toEqual([
          { ipBlock: { cidr: '192.0.2.10/32' } },
          { ipBlock: { cidr: '192.0.2.11/32' } },
        ]);
      else expect(api?.to?.length).toBeGreaterThan(0);
    } finally {
      if (existing.stdout.trim() === '')
        await kubectl(['delete', 'endpointslice', 'kubernetes', '-n', 'default', '--ignore-not-found']);
    }
  });
});
