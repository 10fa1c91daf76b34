import { describe, expect, it } from 'vitest';
import { createMethodIndex } from './method-index.js';

describe('method index', () => {
  it('lists the methods of the paths a request path matches, and nothing for unknown paths', () => {
    const index = createMethodIndex();
    index.add({ url: '/api/stargate/processes', method: 'GET', handler: () => undefined });
    index.add({ url: '/api/stargate/processes', method: ['POST'], handler: () => undefined });
    index.add({ url: '/api/stargate/processes/:id', method: ['GET', 'HEAD'], handler: () => undefined });
    index.add({ url: '/api/stargate/processes/:id/cancel', method: 'POST', handler: () => undefined });
    expect(index.allowed('/api/stargate/processes')).toEqual(['GET', 'POST']);
    expect(index.allowed('/api/stargate/processes/PROC-20260101-00001')).toEqual(['GET', 'HEAD']);
    expect(index.allowed('/api/stargate/processes/PROC-1/cancel')).toEqual(['POST']);
    expect(index.allowed('/api/stargate/processes/PROC-1/bogus')).toBeUndefined();
    expect(index.allowed('/api/stargate/process')).toBeUndefined();
  });
});
