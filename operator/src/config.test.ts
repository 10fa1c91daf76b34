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
    });
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
