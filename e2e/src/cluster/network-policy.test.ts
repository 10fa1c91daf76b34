/**
 * The chart's NetworkPolicies, enforced: the gateway (public zone) cannot open a connection to
 * MongoDB, and nothing from another namespace reaches the private zone, while the handlers
 * still reach their store. Runs from tools/cluster/e2e.sh when the local cluster enforces
 * policies (STARGATE_CLUSTER_NETPOL_ENFORCED=1: kube-router's policy controller runs); a bridge
 * network alone does not enforce them, so elsewhere this file is skipped.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { deploymentPods, installed, kubectl, kubectlJson } from './kube.js';

const env = installed();
const enforced = process.env.STARGATE_CLUSTER_NETPOL_ENFORCED === '1';

/** A script for `node -e` that prints "connected" or why not, within 3 s. */
const probe = (host: string, port: number) =>
  `const s=require('node:net').connect(${port},'${host}');s.setTimeout(3000);` +
  `s.on('connect',()=>{console.log('connected');process.exit(0)});` +
  `s.on('timeout',()=>{console.log('timeout');process.exit(0)});` +
  `s.on('error',(e)=>{console.log(e.code);process.exit(0)});`;

/** The same for several addresses in turn, one line "host:port result" each. */
const probeAll = (targets: [string, number][]) =>
  `const net=require('node:net');` +
  `const go=(h,p)=>new Promise((r)=>{const s=net.connect(p,h);s.setTimeout(3000);` +
  `s.on('connect',()=>{r('connected');s.destroy()});s.on('timeout',()=>{r('timeout');s.destroy()});` +
  `s.on('error',(x)=>r(x.code))});` +
  `(async()=>{for(const [h,p] of ${JSON.stringify(targets)})console.log(h+':'+p+' '+await go(h,p))})()`;

async function podIp(ns: string, name: string): Promise<string> {
  const pod = await kubectlJson<{ status: { podIP: string } }>(['-n', ns, 'get', 'pod', name]);
  return pod.status.podIP;
}

async function fromPod(ns: string, pod: string, host: string, port: number): Promise<string> {
  return (await kubectl(['-n', ns, 'exec', pod, '--', 'node', '-e', probe(host, port)])).trim();
}

// Needs StarGate on a cluster that enforces NetworkPolicies (see the header).
describe.skipIf(!env || !enforced)("the chart's NetworkPolicies, enforced", () => {
  const e = env as NonNullable<typeof env>;
  const outsider = 'netpol-outsider';
  // The body is collected even when skipped: no release then.
  const mongo = `${env?.release ?? ''}-mongodb-0`;

  afterAll(async () => {
    await kubectl(['-n', 'default', 'delete', 'pod', outsider, '--ignore-not-found', '--wait=false']).catch(
      () => undefined,
    );
  });

  it('a handler pod reaches MongoDB (the probe works)', async () => {
    const [handlerPod] = await deploymentPods(e.privateNs, 'stargate-handler-order');
    expect(handlerPod).toBeDefined();
    expect(await fromPod(e.privateNs, handlerPod ?? '', await podIp(e.privateNs, mongo), 27017)).toBe(
      'connected',
    );
  });

  it('the gateway cannot open a connection to MongoDB', async () => {
    const [gateway] = await deploymentPods(e.publicNs, `${e.release}-gateway`);
    expect(gateway).toBeDefined();
    expect(await fromPod(e.publicNs, gateway ?? '', await podIp(e.privateNs, mongo), 27017)).not.toBe(
      'connected',
    );
  });

  it('a pod of another namespace reaches neither MongoDB nor a handler', async () => {
    const [handlerPod] = await deploymentPods(e.privateNs, 'stargate-handler-order');
    const targets = [
      { host: await podIp(e.privateNs, mongo), port: 27017 },
      { host: await podIp(e.privateNs, handlerPod ?? ''), port: 9090 },
    ];
    const image = (
      await kubectl([
        '-n',
        e.publicNs,
        'get',
        'deploy',
        `${e.release}-gateway`,
        '-o',
        'jsonpath={.spec.template.spec.containers[0].image}',
      ])
    ).trim();
    await kubectl([
      '-n',
      'default',
      'run',
      outsider,
      `--image=${image}`,
      '--image-pull-policy=Never',
      '--restart=Never',
      '--command',
      '--',
      'node',
      '-e',
      probeAll(targets.map((t) => [t.host, t.port])),
    ]);
    await kubectl([
      '-n',
      'default',
      'wait',
      `pod/${outsider}`,
      '--for=jsonpath={.status.phase}=Succeeded',
      '--timeout=60s',
    ]);
    const out = await kubectl(['-n', 'default', 'logs', outsider]);
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).not.toMatch(/ connected$/);
  });
});
