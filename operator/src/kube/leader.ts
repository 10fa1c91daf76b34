import type { Logger } from 'pino';
import { isConflict, type KubeClient, resourcePath } from './client.js';

interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

export interface LeaderElectionOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  identity: string;
  logger: Logger;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  onStartedLeading: () => void;
  /** Called once when leadership is lost (not on a voluntary release); the process should exit. */
  onStoppedLeading: () => void;
}

export interface LeaderElector {
  isLeader(): boolean;
  /** Stops campaigning; a leader releases the Lease so that a standby takes over at once. */
  close(): Promise<void>;
}

function microTime(d: Date): string {
  // MicroTime: RFC 3339 with microseconds.
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * Lease-based leader election as client-go does it (15 s lease, 10 s renew deadline, 2 s retry
 * by default). A held lease counts as expired only when this process has not seen it change for
 * a full lease duration by its own clock, so clock skew between replicas does not matter.
 */
export function startLeaderElection(opts: LeaderElectionOptions): LeaderElector {
  const leaseMs = opts.leaseDurationMs ?? 15_000;
  const renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
  const retryMs = opts.retryPeriodMs ?? 2_000;
  const path = resourcePath('coordination.k8s.io/v1', 'Lease', opts.namespace);
  const itemPath = resourcePath('coordination.k8s.io/v1', 'Lease', opts.namespace, opts.name);
  const log = opts.logger.child({ lease: `${opts.namespace}/${opts.name}`, identity: opts.identity });
  let leader = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let observed = '';
  let observedAt = 0;
  let lastRenew = 0;
  let running: Promise<void> = Promise.resolve();

  async function tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    const lease = await opts.client.get<Lease>(itemPath);
    const spec: Lease['spec'] = {
      holderIdentity: opts.identity,
      leaseDurationSeconds: Math.ceil(leaseMs / 1000),
      renewTime: microTime(now),
    };
    if (!lease) {
      await opts.client.create(path, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: opts.name, namespace: opts.namespace },
        spec: { ...spec, acquireTime: microTime(now), leaseTransitions: 0 },
      });
      return true;
    }
    const record = JSON.stringify(lease.spec);
    if (record !== observed) {
      observed = record;
      observedAt = Date.now();
    }
    const holder = lease.spec.holderIdentity;
    const held = holder && holder !== opts.identity;
    const duration = (lease.spec.leaseDurationSeconds ?? 0) * 1000;
    if (held && observedAt + duration > Date.now()) return false;
    const mine = holder === opts.identity;
    await opts.client.replace(itemPath, {
      ...lease,
      spec: {
        ...spec,
        acquireTime: mine ? lease.spec.acquireTime : microTime(now),
        leaseTransitions: (lease.spec.leaseTransitions ?? 0) + (mine ? 0 : 1),
      },
    });
    return true;
  }

  async function tick() {
    let ok = false;
    try {
      ok = await tryAcquireOrRenew();
    } catch (err) {
      if (!isConflict(err)) log.warn({ err: String(err) }, 'lease update failed');
    }
    if (closed) return;
    if (ok) {
      lastRenew = Date.now();
      if (!leader) {
        leader = true;
        log.info('became leader');
        opts.onStartedLeading();
      }
    } else if (leader && Date.now() - lastRenew > renewDeadlineMs) {
      leader = false;
      log.error('lost leadership: could not renew the lease within the renew deadline');
      opts.onStoppedLeading();
      return;
    }
    timer = setTimeout(() => {
      running = tick();
    }, retryMs);
  }

  running = tick();

  return {
    isLeader: () => leader,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await running;
      if (!leader) return;
      leader = false;
      try {
        const lease = await opts.client.get<Lease>(itemPath);
        if (lease?.spec.holderIdentity === opts.identity) {
          await opts.client.replace(itemPath, {
            ...lease,
            spec: {
              ...lease.spec,
              holderIdentity: '',
              leaseDurationSeconds: 1,
              renewTime: microTime(new Date()),
            },
          });
          log.info('released the lease');
        }
      } catch (err) {
        log.warn({ err: String(err) }, 'could not release the lease; a standby takes over when it expires');
      }
    },
  };
}
