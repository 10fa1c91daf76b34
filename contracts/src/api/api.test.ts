import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ProcessView } from '../process.js';
import { PUBLIC_API_VERSION } from './api-version.js';
import { contractFiles } from './contract-files.js';
import { buildOpenApiDocument } from './openapi.js';
import { estimatedCompletionTime, presentAccepted, presentStatus } from './present.js';
import { formatProcessId, isProcessId, parseProcessId, utcDay } from './process-id.js';
import { createContractValidator } from './validate.js';

const contract = createContractValidator();
const created = '2026-01-14T12:48:00.000Z';
const base: ProcessView = {
  processId: 'PROC-20260114-00001',
  clientProcessId: '8f3c2a4e-7b91-4d8f-9e6a-2c4f8b1d7e53',
  processType: 'order',
  status: 'accepted',
  version: 0,
  createdAt: created,
  updatedAt: created,
};

/** The specification's example bodies ("Detailed Endpoint Documentation"). */
const SPEC = {
  accepted: {
    processId: 'PROC-20260114-00001',
    clientProcessId: '8f3c2a4e-7b91-4d8f-9e6a-2c4f8b1d7e53',
    processType: 'order',
    status: 'accepted',
    statusUrl: '/api/stargate/processes/PROC-20260114-00001',
    createdAt: '2026-01-14T12:48:00Z',
    estimatedCompletionTime: '2026-01-14T13:00:00Z',
  },
  processing: {
    processId: 'PROC-20260114-00001',
    clientProcessId: '8f3c2a4e-7b91-4d8f-9e6a-2c4f8b1d7e53',
    processType: 'order',
    status: 'processing',
    progress: 45,
    currentStep: 'inventory_check',
    result: null,
    createdAt: '2026-01-14T12:48:00Z',
    updatedAt: '2026-01-14T12:50:15Z',
    estimatedCompletionTime: '2026-01-14T13:00:00Z',
  },
  completed: {
    processId: 'PROC-20260114-00001',
    clientProcessId: '8f3c2a4e-7b91-4d8f-9e6a-2c4f8b1d7e53',
    processType: 'order',
    status: 'completed',
    progress: 100,
    result: { orderId: 'ORD-12345', status: 'confirmed' },
    createdAt: '2026-01-14T12:48:00Z',
    completedAt: '2026-01-14T13:05:00Z',
  },
  failed: {
    processId: 'PROC-20260114-00001',
    clientProcessId: '8f3c2a4e-7b91-4d8f-9e6a-2c4f8b1d7e53',
    processType: 'order',
    status: 'failed',
    progress: 30,
    error: {
      code: 'INVENTORY_INSUFFICIENT',
      message: 'Insufficient stock for SKU-001',
      details: { sku: 'SKU-001' },
    },
    createdAt: '2026-01-14T12:48:00Z',
    failedAt: '2026-01-14T12:52:00Z',
    retryable: true,
  },
} as const;

const jsonType = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Every field of the specification's example is there, with the same JSON type and value kind. */
function expectFieldForField(actual: Record<string, unknown>, spec: Record<string, unknown>): void {
  for (const [field, value] of Object.entries(spec)) {
    expect(actual, `field ${field}`).toHaveProperty(field);
    expect(jsonType(actual[field]), `type of ${field}`).toBe(jsonType(value));
  }
}

describe('process ids', () => {
  it('are PROC-YYYYMMDD-NNNNN, growing past five digits; UUIDs of old processes stay valid', () => {
    expect(utcDay(Date.parse('2026-01-14T23:59:59.999Z'))).toBe('20260114');
    expect(formatProcessId('20260114', 1)).toBe('PROC-20260114-00001');
    expect(formatProcessId('20260114', 123_456)).toBe('PROC-20260114-123456');
    expect(parseProcessId('PROC-20260114-123456')).toEqual({ day: '20260114', sequence: 123_456 });
    expect(parseProcessId('PROC-20261314-00001')).toBeUndefined();
    expect(isProcessId('0b7e0d7c-5d4a-8a1e-9f3b-2c4d5e6f7a8b')).toBe(true);
    expect(isProcessId('PROC-2026-1')).toBe(false);
    expect(() => formatProcessId('20260114', 0)).toThrow(RangeError);
  });
});

describe('presentation of a process (the status and 202 bodies)', () => {
  it('answers the 202 as specified, with a relative status URL and the type estimate', () => {
    const body = presentAccepted(
      {
        processId: base.processId,
        clientProcessId: base.clientProcessId!,
        processType: 'order',
        createdAt: created,
      },
      { estimatedDurationSeconds: 720 },
    );
    expect(contract.check('SubmitAccepted', body)).toBeUndefined();
    expectFieldForField(body, SPEC.accepted);
    expect(body.statusUrl).toBe('/api/stargate/processes/PROC-20260114-00001');
    expect(body.estimatedCompletionTime).toBe('2026-01-14T13:00:00.000Z');
  });

  it('answers every status field for field as specified, and keeps the estimate through every change', () => {
    const hints = { estimatedDurationSeconds: 720 };
    const processing = presentStatus(
      {
        ...base,
        status: 'processing',
        version: 2,
        progress: { percent: 45, currentStep: 'inventory_check' },
      },
      hints,
    );
    const completed = presentStatus(
      {
        ...base,
        status: 'completed',
        version: 3,
        result: { orderId: 'ORD-12345' },
        progress: { percent: 100, currentStep: 'completed' },
        completedAt: '2026-01-14T13:05:00.000Z',
      },
      hints,
    );
    const failed = presentStatus(
      {
        ...base,
        status: 'failed',
        version: 3,
        progress: { percent: 30 },
        error: {
          code: 'INVENTORY_INSUFFICIENT',
          message: 'short',
          details: { sku: 'SKU-001' },
          retryable: true,
        },
        completedAt: '2026-01-14T12:52:00.000Z',
      },
      hints,
    );
    const cancelled = presentStatus(
      { ...base, status: 'cancelled', version: 2, completedAt: created },
      hints,
    );
    const accepted = presentStatus(base, hints);
    for (const body of [accepted, processing, completed, failed, cancelled])
      expect(contract.check('ProcessStatus', body), body.status).toBeUndefined();
    expectFieldForField(processing, SPEC.processing);
    expectFieldForField(completed, SPEC.completed);
    expectFieldForField(failed, SPEC.failed);
    expect(processing).toMatchObject({ progress: 45, currentStep: 'inventory_check', result: null });
    expect(accepted).toMatchObject({ progress: 0, result: null });
    expect(completed).toMatchObject({ progress: 100, completedAt: '2026-01-14T13:05:00.000Z' });
    expect(completed).not.toHaveProperty('failedAt');
    expect(failed).toMatchObject({ failedAt: '2026-01-14T12:52:00.000Z', retryable: true });
    expect(failed).not.toHaveProperty('completedAt');
    expect(failed).not.toHaveProperty('result');
    expect(cancelled).toMatchObject({ cancelledAt: created });
    const estimates = new Set(
      [accepted, processing, completed, failed, cancelled].map((b) => b.estimatedCompletionTime),
    );
    expect([...estimates]).toEqual(['2026-01-14T13:00:00.000Z']);
  });

  it('estimates 10 minutes when the process type has no estimate of its own', () => {
    expect(estimatedCompletionTime(created)).toBe('2026-01-14T12:58:00.000Z');
    expect(presentStatus(base).estimatedCompletionTime).toBe('2026-01-14T12:58:00.000Z');
  });

  it('refuses bodies that break the contract', () => {
    const processing = presentStatus({ ...base, status: 'processing', version: 1 });
    expect(contract.check('ProcessStatus', { ...processing, progress: { percent: 5 } })).toBeDefined();
    expect(contract.check('ProcessStatus', { ...processing, result: undefined })).toBeDefined();
    const failed = presentStatus({
      ...base,
      status: 'failed',
      version: 2,
      error: { code: 'X', message: 'x', retryable: false },
    });
    const { retryable: _r, ...noRetryable } = failed as Record<string, unknown>;
    expect(contract.check('ProcessStatus', noRetryable)).toBeDefined();
    expect(
      contract.check('Error', { error: 'RATE_LIMIT_EXCEEDED', message: 'slow', timestamp: created }),
    ).toBeDefined();
    expect(
      contract.check('Error', {
        error: 'RATE_LIMIT_EXCEEDED',
        message: 'slow',
        timestamp: created,
        retryAfter: 30,
      }),
    ).toBeUndefined();
    expect(contract.check('SubmitRequest', { processType: 'order', data: {} })).toMatch(/clientProcessId/);
  });
});

describe('the published contract', () => {
  it('has current schema and OpenAPI files (npm run generate -w @stargate/contracts)', () => {
    for (const [path, content] of Object.entries(contractFiles())) {
      expect(readFileSync(join(import.meta.dirname, '../..', path), 'utf8'), path).toBe(content);
    }
  });

  it('states the API version in the OpenAPI info', () => {
    const doc = buildOpenApiDocument() as { info: { version: string }; paths: Record<string, unknown> };
    expect(doc.info.version).toBe(PUBLIC_API_VERSION);
    expect(Object.keys(doc.paths)).toContain('/api/stargate/processes/{processId}');
  });
});
