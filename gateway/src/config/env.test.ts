import { describe, expect, it } from 'vitest';
import { readGatewayEnv } from './env.js';

const base = {
  STARGATE_REDIS_URL: 'redis://:pw@redis:6379/2',
  STARGATE_AMQP_URL: 'amqp://u:p@rabbit:5672/v',
  STARGATE_CONFIG_FILE: '/etc/stargate/gateway.yaml',
  STARGATE_SIGNING_KEYS_DIR: '/keys',
};

describe('gateway environment', () => {
  it('applies the documented defaults', () => {
    expect(readGatewayEnv(base)).toMatchObject({
      host: '0.0.0.0',
      port: 8080,
      publicUrl: 'http://localhost:8080',
      issuer: 'http://localhost:8080',
      audience: 'stargate-api',
      redisPrefix: 'sg',
      redisTopology: { mode: 'standalone' },
      config: { kind: 'file', path: '/etc/stargate/gateway.yaml' },
      idempotencyTtlSeconds: 86400,
      stateTtlSeconds: 86400,
      stateRecheckSeconds: 300,
      longPollsPerTenant: 200,
      logLevel: 'info',
    });
  });

  it('takes the nodes of a RabbitMQ cluster as a comma-separated URL list and a group size', () => {
    const nodes = 'amqps://u:p@rmq-0:5671/v,amqps://u:p@rmq-1:5671/v,amqps://u:p@rmq-2:5671/v';
    expect(
      readGatewayEnv({ ...base, STARGATE_AMQP_URL: nodes, STARGATE_AMQP_QUORUM_INITIAL_GROUP_SIZE: '5' }),
    ).toMatchObject({ amqpUrl: nodes, amqpQuorumInitialGroupSize: 5 });
    expect(readGatewayEnv(base)).not.toHaveProperty('amqpQuorumInitialGroupSize');
    expect(() => readGatewayEnv({ ...base, STARGATE_AMQP_URL: `${nodes},redis://x:1` })).toThrow(
      /STARGATE_AMQP_URL: "redis:\/\/x:1" is not an amqp/,
    );
  });

  it('reads the Kubernetes source and Redis Sentinel / Cluster topologies', () => {
    const k8s = readGatewayEnv({
      ...base,
      STARGATE_CONFIG_SOURCE: 'kubernetes',
      STARGATE_CONFIG_NAMESPACE: 'stargate-public',
      STARGATE_CONFIG_NAME: 'stargate-gateway-config',
      STARGATE_REDIS_MODE: 'sentinel',
      STARGATE_REDIS_SENTINELS: 's1:26379, s2:26379',
      STARGATE_REDIS_SENTINEL_MASTER: 'main',
    });
    expect(k8s.config).toEqual({
      kind: 'kubernetes',
      namespace: 'stargate-public',
      name: 'stargate-gateway-config',
    });
    expect(k8s.redisTopology).toEqual({
      mode: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      masterName: 'main',
    });
    expect(
      readGatewayEnv({ ...base, STARGATE_REDIS_MODE: 'cluster', STARGATE_REDIS_CLUSTER_NODES: 'c1:6379' })
        .redisTopology,
    ).toEqual({ mode: 'cluster', nodes: [{ host: 'c1', port: 6379 }] });
  });

  it('names every bad or missing setting at once', () => {
    let message = '';
    try {
      readGatewayEnv({
        STARGATE_GATEWAY_PORT: 'eighty',
        STARGATE_AMQP_URL: 'not a url',
        STARGATE_REDIS_MODE: 'cluster',
        STARGATE_LOG_LEVEL: 'loud',
      });
    } catch (err) {
      message = (err as Error).message;
    }
    for (const name of [
      'STARGATE_GATEWAY_PORT',
      'STARGATE_REDIS_URL is required',
      'STARGATE_AMQP_URL is not a URL',
      'STARGATE_CONFIG_FILE is required',
      'STARGATE_REDIS_CLUSTER_NODES',
      'STARGATE_LOG_LEVEL',
      'STARGATE_SIGNING_KEYS_DIR is required',
    ]) {
      expect(message).toContain(name);
    }
  });

  it('reads the TLS files: certificate and key together, the chain optional', () => {
    expect(readGatewayEnv(base).tls).toBeUndefined();
    expect(
      readGatewayEnv({
        ...base,
        STARGATE_TLS_CERT_FILE: '/tls/tls.crt',
        STARGATE_TLS_KEY_FILE: '/tls/tls.key',
        STARGATE_TLS_CA_FILE: '/tls/ca.crt',
      }).tls,
    ).toEqual({ certFile: '/tls/tls.crt', keyFile: '/tls/tls.key', caFile: '/tls/ca.crt' });
    expect(() => readGatewayEnv({ ...base, STARGATE_TLS_CERT_FILE: '/tls/tls.crt' })).toThrow(
      'STARGATE_TLS_CERT_FILE and STARGATE_TLS_KEY_FILE must be set together (or neither)',
    );
    expect(() => readGatewayEnv({ ...base, STARGATE_TLS_CA_FILE: '/tls/ca.crt' })).toThrow(
      'STARGATE_TLS_CA_FILE needs STARGATE_TLS_CERT_FILE and STARGATE_TLS_KEY_FILE',
    );
  });
});
