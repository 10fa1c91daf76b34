/**
 * `kubectl get tenants,processtypes` tells a platform team at a glance whether each resource is
 * in force and, if not, why: the Ready status and reason are columns (the message with -o wide).
 */
import { uniqueName } from '@stargate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNamespaces, deleteNamespaces, installCrds } from './crds.js';
import { kubectl } from './helm.js';

const ns = uniqueName('cols');

/** The table kubectl prints, as one record per row keyed by column header. */
function table(text: string): Record<string, string>[] {
  const [header = '', ...rows] = text.trimEnd().split('\n');
  const starts = [...header.matchAll(/\S+(?: \S+)*/g)].map((m) => ({ name: m[0], at: m.index ?? 0 }));
  return rows.map((row) =>
    Object.fromEntries(
      starts.map((c, i) => [c.name, row.slice(c.at, starts[i + 1]?.at ?? row.length).trim()]),
    ),
  );
}

async function setStatus(resource: string, status: object): Promise<void> {
  await kubectl([
    'patch',
    resource,
    '-n',
    ns,
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify({ status }),
  ]);
}

const notReady = (reason: string, message: string) => ({
  conditions: [
    {
      type: 'Ready',
      status: 'False',
      reason,
      message,
      observedGeneration: 1,
      lastTransitionTime: '2026-01-01T00:00:00Z',
    },
  ],
});

beforeAll(async () => {
  await installCrds();
  await createNamespaces([ns]);
});

afterAll(async () => {
  await deleteNamespaces([ns]);
});

describe('printer columns', () => {
  it('show Ready and its reason, and the message with -o wide', async () => {
    await kubectl(
      ['apply', '-n', ns, '-f', '-'],
      [
        {
          apiVersion: 'stargate.io/v1alpha1',
          kind: 'Tenant',
          metadata: { name: 'acme' },
          spec: {
            displayName: 'ACME',
            processTypes: [{ name: 'order' }],
            rateLimit: { requestsPerMinute: 90 },
          },
        },
        {
          apiVersion: 'stargate.io/v1alpha1',
          kind: 'ProcessType',
          metadata: { name: 'order' },
          spec: { requestSchema: { type: 'object' }, handler: { builtin: 'order', replicas: 2 } },
        },
      ]
        .map((o) => JSON.stringify(o))
        .join('\n'),
    );
    await setStatus('tenant/acme', {
      ...notReady('UnknownProcessType', 'process type(s) "order" do not exist'),
      processTypes: 'order',
    });
    await setStatus('processtype/order', {
      ...notReady('HandlerNotReady', '0/2 handler replicas ready'),
      handler: 'builtin:order',
    });

    const [tenant] = table((await kubectl(['get', 'tenants', '-n', ns])).stdout);
    expect(tenant).toMatchObject({
      NAME: 'acme',
      READY: 'False',
      REASON: 'UnknownProcessType',
      'PROCESS TYPES': 'order',
      'RATE LIMIT': '90',
    });
    const [wide] = table((await kubectl(['get', 'tenants', '-n', ns, '-o', 'wide'])).stdout);
    expect(wide?.MESSAGE).toBe('process type(s) "order" do not exist');

    const [pt] = table((await kubectl(['get', 'processtypes', '-n', ns])).stdout);
    expect(pt).toMatchObject({
      NAME: 'order',
      READY: 'False',
      REASON: 'HandlerNotReady',
      HANDLER: 'builtin:order',
      REPLICAS: '2',
    });
  });
});
