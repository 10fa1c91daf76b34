import type { FastifyReply, FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.js';
import { createRequestObserver } from './request-observer.js';

/** A status poll as the onResponse hook sees it (only the fields the observer reads). */
function poll(processId: string, status: number): [FastifyRequest, FastifyReply] {
  const request = {
    routeOptions: { url: '/api/stargate/processes/:id' },
    method: 'GET',
    principal: { tenant: { id: 'alpha' } },
    auditInfo: { action: 'status', processId },
    startedAt: process.hrtime.bigint(),
  } as unknown as FastifyRequest;
  const reply = { statusCode: status, getHeader: () => undefined } as unknown as FastifyReply;
  return [request, reply];
}

const streaks = async (metrics: ReturnType<typeof createMetrics>) =>
  (await metrics.pollConsecutiveFailures.get()).values.map((v) => [v.labels.process_id, v.value]);

describe('request observer memory', () => {
  it('forgets a failing process after 30 minutes without polls, and its series with it', async () => {
    let now = 0;
    const metrics = createMetrics();
    const observer = createRequestObserver(metrics, () => now);
    for (let i = 0; i < 4; i++) observer.observe(...poll('p1', 503));
    expect(await streaks(metrics)).toEqual([['p1', 4]]);

    now += 31 * 60_000;
    observer.observe(...poll('p2', 503));
    expect(await streaks(metrics)).toEqual([['p2', 1]]);
    expect(observer.trackedCount()).toBe(1);
  });

  it('follows at most 10,000 processes, dropping the least recently polled', async () => {
    const metrics = createMetrics();
    const observer = createRequestObserver(metrics, () => 0);
    for (let i = 0; i < 10_050; i++) observer.observe(...poll(`p${i}`, 503));
    expect(observer.trackedCount()).toBe(10_000);
    const ids = (await streaks(metrics)).map(([id]) => id);
    expect(ids).toHaveLength(10_000);
    expect(ids).not.toContain('p0');
    expect(ids).toContain('p10049');
  });
});
