import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessToken, startTestBed, submit, type TestBed, testConfig } from '../testing/fixtures.js';
import { createLogger } from './logger.js';

describe('logs', () => {
  const lines: Record<string, unknown>[] = [];
  let bed: TestBed;

  beforeAll(async () => {
    const destination = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const config = testConfig();
    config.processTypes[0]!.sensitiveFields = ['/sku'];
    bed = await startTestBed({ config, logger: createLogger({ level: 'debug', destination }) });
  });
  afterAll(async () => bed?.close());

  it('are JSON with the correlation id, and never carry credentials or sensitive payload fields', async () => {
    const token = await accessToken(bed.gw.url, 'alpha');
    const res = await submit(
      bed.gw.url,
      token,
      { processType: 'order', data: { sku: 'SECRET-SKU', quantity: 7 } },
      {
        'x-correlation-id': 'log-test-0001',
      },
    );
    expect(res.status).toBe(202);
    const bad = await submit(
      bed.gw.url,
      token,
      { processType: 'order', data: { sku: 'x', quantity: 1 } },
      {
        'x-correlation-id': 'bad id with spaces\r\n',
      },
    );
    expect(bad.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
    const text = JSON.stringify(lines);
    expect(text).not.toContain('SECRET-SKU');
    expect(text).not.toContain(token);
    expect(text).not.toContain('alpha-secret');
    const accepted = lines.find((l) => l.event === 'process.accepted' && l.reqId === 'log-test-0001');
    expect(accepted).toMatchObject({ data: { sku: '[REDACTED]', quantity: 7 }, tenantId: 'alpha' });
  });
});
