import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveProcessTypes } from './process-types.js';
import { readServerEnv } from './env.js';

const base = { STARGATE_AMQP_URL: 'amqp://x', STARGATE_MONGO_URL: 'mongodb://x' };

describe('server configuration', () => {
  it('reads the agreed environment with defaults', async () => {
    const env = await readServerEnv({ ...base, STARGATE_PROCESS_TYPES: 'order, shipping' });
    expect(env).toMatchObject({
      dbName: 'stargate',
      processTypes: ['order', 'shipping'],
      healthPort: 9090,
      shutdownGraceSeconds: 30,
    });
  });

  it('takes the nodes of a RabbitMQ cluster as a comma-separated URL list and a group size', async () => {
    const nodes = 'amqp://u:p@rmq-0:5672/v, amqp://u:p@rmq-1:5672/v';
    const env = await readServerEnv({
      ...base,
      STARGATE_AMQP_URL: nodes,
      STARGATE_AMQP_QUORUM_INITIAL_GROUP_SIZE: '3',
      STARGATE_PROCESS_TYPES: 'order',
    });
    expect(env).toMatchObject({ amqpUrl: nodes, quorumInitialGroupSize: 3 });
    await expect(
      readServerEnv({ ...base, STARGATE_AMQP_URL: 'amqp://a:1,nonsense', STARGATE_PROCESS_TYPES: 'order' }),
    ).rejects.toThrow(/entry 2 of 2 is not a URL/);
  });

  it('names the missing or bad setting', async () => {
    await expect(readServerEnv({ STARGATE_PROCESS_TYPES: 'order' })).rejects.toThrow(
      'STARGATE_AMQP_URL is required',
    );
    await expect(readServerEnv({ ...base })).rejects.toThrow(/STARGATE_PROCESS_TYPES/);
    await expect(
      readServerEnv({ ...base, STARGATE_PROCESS_TYPES: 'order', STARGATE_HEALTH_PORT: 'x' }),
    ).rejects.toThrow(/STARGATE_HEALTH_PORT/);
    await expect(
      readServerEnv({ ...base, STARGATE_SERVER_CONFIG_FILE: '/nonexistent.yaml' }),
    ).rejects.toThrow(/STARGATE_SERVER_CONFIG_FILE/);
  });

  it('takes the process types from a YAML config file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sg-server-'));
    const file = join(dir, 'server.yaml');
    await writeFile(
      file,
      'processTypes:\n  - name: invoice\n    handler: { builtin: order }\n    concurrency: 2\n    timeoutSeconds: 5\n    retry: { maxAttempts: 2, initialBackoffSeconds: 1, maxBackoffSeconds: 4 }\n    requestSchema: { type: object }\n',
    );
    const env = await readServerEnv({ ...base, STARGATE_SERVER_CONFIG_FILE: file });
    expect(env.processTypes).toEqual(['invoice']);
    const [invoice] = await resolveProcessTypes(env.processTypes, env.serverConfig);
    expect(invoice).toMatchObject({ name: 'invoice', concurrency: 2, timeoutMs: 5000 });
  });

  it('loads a custom handler module named in the config', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sg-handler-'));
    const file = join(dir, 'invoice.mjs');
    await writeFile(
      file,
      "export default { type: 'invoice', handle: async (_ctx, data) => ({ echoed: data }) };\n",
    );
    const [invoice] = await resolveProcessTypes(['invoice'], {
      processTypes: [
        {
          name: 'invoice',
          handler: { module: file },
          concurrency: 1,
          timeoutSeconds: 1,
          retry: { maxAttempts: 1, initialBackoffSeconds: 1, maxBackoffSeconds: 1 },
          requestSchema: {},
        },
      ],
    });
    expect(await invoice?.handler.handle({} as never, 7)).toEqual({ echoed: 7 });
  });

  it('refuses a type it does not know and forward credentials that are not set', async () => {
    await expect(resolveProcessTypes(['mystery'], undefined)).rejects.toThrow(
      /mystery is not in the server configuration/,
    );
    const forward = {
      name: 'erp',
      handler: {
        forward: {
          url: 'http://erp',
          method: 'POST' as const,
          timeoutSeconds: 1,
          credentialsEnv: 'ERP_TOKEN',
        },
      },
      concurrency: 1,
      timeoutSeconds: 1,
      retry: { maxAttempts: 1, initialBackoffSeconds: 1, maxBackoffSeconds: 1 },
      requestSchema: {},
    };
    await expect(resolveProcessTypes(['erp'], { processTypes: [forward] }, { env: {} })).rejects.toThrow(
      /ERP_TOKEN/,
    );
  });
});
