import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('defaults everything but the watch namespace', () => {
    const c = loadConfig({ STARGATE_WATCH_NAMESPACE: 'stargate', POD_NAME: 'op-0' });
    expect(c).toMatchObject({
      watchNamespace: 'stargate',
      gatewayNamespace: 'stargate',
      privateNamespace: 'stargate',
      gatewayConfigName: 'stargate-gateway-config',
      healthPort: 8081,
      leaseName: 'stargate-operator',
      identity: 'op-0',
      rotationGraceSeconds: 3600,
      encryptionKeys: { secret: 'stargate-encryption-keys', key: 'keys' },
    });
  });

  it('switches encryption at rest off only when asked, and checks the keys Secret reference', () => {
    const base = { STARGATE_WATCH_NAMESPACE: 'a' };
    expect(loadConfig({ ...base, STARGATE_ENCRYPTION_AT_REST: 'false' })).not.toHaveProperty(
      'encryptionKeys',
    );
    expect(
      loadConfig({
        ...base,
        STARGATE_ENCRYPTION_KEYS_SECRET_NAME: 'mine',
        STARGATE_ENCRYPTION_KEYS_SECRET_KEY: 'k.list',
      }).encryptionKeys,
    ).toEqual({ secret: 'mine', key: 'k.list' });
    expect(() => loadConfig({ ...base, STARGATE_ENCRYPTION_AT_REST: 'off' })).toThrow(
      'STARGATE_ENCRYPTION_AT_REST="off" must be true or false',
    );
    expect(() => loadConfig({ ...base, STARGATE_ENCRYPTION_KEYS_SECRET_NAME: 'Bad/Name' })).toThrow(
      'STARGATE_ENCRYPTION_KEYS_SECRET_NAME="Bad/Name" is not a valid Secret name',
    );
  });

  it('passes the quorum queue group size on to handler pods only when set (the chart gives 0 for unset)', () => {
    const base = { STARGATE_WATCH_NAMESPACE: 'a' };
    expect(loadConfig(base)).not.toHaveProperty('amqpQuorumInitialGroupSize');
    expect(loadConfig({ ...base, STARGATE_AMQP_QUORUM_INITIAL_GROUP_SIZE: '0' })).not.toHaveProperty(
      'amqpQuorumInitialGroupSize',
    );
    expect(
      loadConfig({ ...base, STARGATE_AMQP_QUORUM_INITIAL_GROUP_SIZE: '5' }).amqpQuorumInitialGroupSize,
    ).toBe(5);
    expect(() => loadConfig({ ...base, STARGATE_AMQP_QUORUM_INITIAL_GROUP_SIZE: 'three' })).toThrow(
      'STARGATE_AMQP_QUORUM_INITIAL_GROUP_SIZE="three" must be an integer between 0 and 99',
    );
  });

  it('names the missing or bad setting', () => {
    expect(() => loadConfig({})).toThrow('STARGATE_WATCH_NAMESPACE is required');
    expect(() => loadConfig({ STARGATE_WATCH_NAMESPACE: 'Bad_NS' })).toThrow(
      'STARGATE_WATCH_NAMESPACE="Bad_NS" is not a valid namespace name',
    );
    expect(() => loadConfig({ STARGATE_WATCH_NAMESPACE: 'a', STARGATE_HEALTH_PORT: 'http' })).toThrow(
      'STARGATE_HEALTH_PORT="http" must be an integer between 0 and 65535',
    );
    expect(() => loadConfig({ STARGATE_WATCH_NAMESPACE: 'a', STARGATE_TOKEN_URL: 'nope' })).toThrow(
      'STARGATE_TOKEN_URL="nope" is not a URL',
    );
  });
});
