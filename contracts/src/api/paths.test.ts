import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from './openapi.js';
import {
  API_BASE_PATH,
  API_ROUTES,
  commandPath,
  openApiPath,
  PROCESS_TYPES_PATH,
  PROCESSES_PATH,
  statusPath,
} from './paths.js';

describe('API paths', () => {
  it('are the specified URLs', () => {
    expect(API_BASE_PATH).toBe('/api/stargate');
    expect(PROCESSES_PATH).toBe('/api/stargate/processes');
    expect(PROCESS_TYPES_PATH).toBe('/api/stargate/process-types');
    expect(statusPath('PROC-20260114-00001')).toBe('/api/stargate/processes/PROC-20260114-00001');
    expect(commandPath('PROC-20260114-00001', 'cancel')).toBe(
      '/api/stargate/processes/PROC-20260114-00001/cancel',
    );
  });

  it('escape a process id, so it stays one path segment', () => {
    expect(statusPath('a/../b?c')).toBe('/api/stargate/processes/a%2F..%2Fb%3Fc');
  });

  it('name every path of the OpenAPI document', () => {
    const routes = [API_ROUTES.processes, API_ROUTES.process, API_ROUTES.cancel, API_ROUTES.retry];
    expect(Object.keys(buildOpenApiDocument().paths as object).sort()).toEqual(
      routes.map(openApiPath).sort(),
    );
  });
});
