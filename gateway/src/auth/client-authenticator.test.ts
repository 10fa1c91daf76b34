import { describe, expect, it } from 'vitest';
import { createConfigStore } from '../config/config-store.js';
import { createLogger } from '../observability/logger.js';
import { createMetrics } from '../observability/metrics.js';
import { SECRETS, testConfig } from '../testing/fixtures.js';
import { createClientAuthenticator } from './client-authenticator.js';

function loaded() {
  const store = createConfigStore({ logger: createLogger({ level: 'silent' }), metrics: createMetrics() });
  const result = store.apply(testConfig(), 'test');
  if (!result.ok) throw new Error(result.errors.join('; '));
  return store.current()!;
}

describe('client authenticator', () => {
  it('checks a secret without holding the event loop (scrypt on the thread pool)', async () => {
    const config = loaded();
    const clients = createClientAuthenticator({ now: Date.now });
    let loopRan = false;
    setImmediate(() => {
      loopRan = true;
    });
    // A synchronous scrypt would finish before the event loop could run the callback above.
    const result = await clients.authenticate(config, 'alpha-client', 'wrong', '192.0.2.1');
    expect(result).toBeUndefined();
    expect(loopRan).toBe(true);
  });

  it("accepts the right secret and refuses another tenant's", async () => {
    const config = loaded();
    const clients = createClientAuthenticator({ now: Date.now });
    expect(await clients.authenticate(config, 'alpha-client', SECRETS.alpha, '192.0.2.1')).toMatchObject({
      id: 'alpha',
    });
    expect(await clients.authenticate(config, 'alpha-client', SECRETS.beta, '192.0.2.1')).toBeUndefined();
  });

  it('budgets scrypt per address: rotating unknown client ids runs out like guessing one', async () => {
    const config = loaded();
    const frozen = Date.now();
    const clients = createClientAuthenticator({ now: () => frozen });
    // All at once (the budget is charged before each scrypt starts): the thread pool runs them in parallel.
    const answers = await Promise.all(
      Array.from({ length: 61 }, (_, i) => clients.authenticate(config, `nobody-${i}`, 'x', '192.0.2.9')),
    );
    expect(answers.slice(0, 60).every((a) => a === undefined)).toBe(true);
    expect(answers[60]).toEqual({ retryAfterSeconds: 1 });
    // Another address has its own budget.
    expect(await clients.authenticate(config, 'nobody-x', 'x', '192.0.2.10')).toBeUndefined();
  }, 60_000);
});
