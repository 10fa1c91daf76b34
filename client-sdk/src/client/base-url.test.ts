import { describe, expect, it } from 'vitest';
import { StarGateError } from '../errors.js';
import { baseUrlProblem, isLoopbackHost } from './base-url.js';
import { createClient } from './client.js';

const options = { clientId: 'c', clientSecret: 's', databasePath: ':memory:', autoStart: false };

describe('gateway base URL', () => {
  it('plain http is accepted only to loopback hosts', () => {
    for (const url of [
      'http://127.0.0.1:8080',
      'http://127.1.2.3',
      'http://localhost:3000/',
      'http://api.localhost',
      'http://[::1]:8080',
      'http://[::ffff:127.0.0.1]:8080',
      'https://stargate.example.com',
      'https://10.0.0.5',
    ])
      expect(baseUrlProblem(url), url).toBeUndefined();
    for (const url of [
      'http://stargate.example.com',
      'http://10.0.0.5:8080',
      'http://128.0.0.1',
      'http://localhost.example.com',
      'http://[::2]',
      'http://[::ffff:10.0.0.1]',
    ])
      expect(baseUrlProblem(url), url).toMatch(/plain http:\/\/ .*not loopback/);
    expect(baseUrlProblem('ftp://stargate.example.com')).toMatch(/must be an https:\/\/ URL/);
    expect(baseUrlProblem('stargate.example.com')).toMatch(/is not a URL/);
    expect(isLoopbackHost('[::1]')).toBe(true);
  });

  it('createClient refuses http:// to another host with a clear error, unless allowInsecureHttp', async () => {
    expect(() => createClient({ ...options, baseUrl: 'http://stargate.example.com' })).toThrow(StarGateError);
    expect(() => createClient({ ...options, baseUrl: 'http://stargate.example.com' })).toThrow(
      'createClient: option "baseUrl" uses plain http:// to a host that is not loopback (stargate.example.com): the client secret, tokens and payloads would travel unencrypted; use https://, or allow it explicitly for a trusted network (option allowInsecureHttp: true)',
    );
    const allowed = createClient({
      ...options,
      baseUrl: 'http://stargate.example.com',
      allowInsecureHttp: true,
    });
    await allowed.close();
    const local = createClient({ ...options, baseUrl: 'http://127.0.0.1:1' });
    await local.close();
  });
});
