import { describe, expect, it } from 'vitest';
import type { ProcessDoc } from '../store/process-store.js';
import { leaseState, newLease } from './lease.js';
import type { RunnerContext } from './runner-context.js';

const rc = (): RunnerContext => ({
  deps: {} as RunnerContext['deps'],
  running: new Map(),
  progressIntervalMs: 250,
  visibleAfterMs: 100,
  instanceId: 'worker:here:1:abcd',
  leaseMs: 30_000,
  runs: 0,
});

const doc = (over: Partial<ProcessDoc> = {}) => ({ processId: 'p-1', ...over }) as ProcessDoc;
const now = Date.parse('2026-11-26T12:00:00Z');
const at = (ms: number) => new Date(now + ms);

describe('what a delivery finds of the run lease', () => {
  it('names this instance and the run in each new lease', () => {
    const ctx = rc();
    const [a, b] = [newLease(ctx), newLease(ctx)];
    expect([a.owner, b.owner]).toEqual(['worker:here:1:abcd#1', 'worker:here:1:abcd#2']);
    expect(a.expiresAt.getTime() - Date.now()).toBeGreaterThan(29_000);
  });

  it('runs a process no lease holds, counting nothing', () => {
    expect(leaseState(rc(), doc(), now)).toEqual({ kind: 'free', failedRuns: 0 });
    expect(leaseState(rc(), doc({ failedRuns: 2 }), now)).toEqual({ kind: 'free', failedRuns: 2 });
  });

  it('leaves a process to the live lease of another worker', () => {
    const lease = { owner: 'worker:there:7:ffff#3', expiresAt: at(5_000) };
    expect(leaseState(rc(), doc({ lease }), now)).toEqual({ kind: 'live', expiresAt: lease.expiresAt });
  });

  it('counts an expired lease of another worker as a failed run', () => {
    const lease = { owner: 'worker:there:7:ffff#3', expiresAt: at(-1) };
    expect(leaseState(rc(), doc({ lease, failedRuns: 1 }), now)).toEqual({ kind: 'free', failedRuns: 2 });
  });

  it('does not count a lease of its own that it could not release (the store was away)', () => {
    const lease = { owner: 'worker:here:1:abcd#9', expiresAt: at(20_000) };
    expect(leaseState(rc(), doc({ lease }), now)).toEqual({ kind: 'free', failedRuns: 0 });
  });

  it('does not start a second run of a process it runs itself', () => {
    const ctx = rc();
    ctx.running.set('p-1', new AbortController());
    const lease = { owner: 'worker:here:1:abcd#1', expiresAt: at(20_000) };
    expect(leaseState(ctx, doc({ lease }), now)).toEqual({ kind: 'live', expiresAt: lease.expiresAt });
  });
});
