/**
 * The demo client of `make dev`: a customer system built on the SDK submits two orders and a
 * shipment and follows them to their end (the second order fails on purpose, with details).
 */
import { join } from 'node:path';
import { createClient } from '@stargate/client-sdk';
import type { ProcessStatusBody } from '@stargate/contracts';
import { say } from './console.js';

export interface DemoCredentials {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
}

/**
 * One line per view. Written against the fields a user reads, tolerant of how progress is
 * shaped (a number with a top-level `currentStep`, or an object with `percent`/`currentStep`).
 */
export function describeView(view: ProcessStatusBody): string {
  const v = view as unknown as Record<string, unknown>;
  const raw = v.progress;
  let percent: unknown;
  let step: unknown = v.currentStep;
  if (typeof raw === 'number') percent = raw;
  else if (raw && typeof raw === 'object') {
    const p = raw as Record<string, unknown>;
    percent = p.percent;
    step ??= p.currentStep;
  }
  const progress =
    typeof percent === 'number' ? ` ${percent}%${typeof step === 'string' && step ? ` ${step}` : ''}` : '';
  const id = (v.clientProcessId as string | undefined) ?? (v.processId as string);
  return `${String(v.processType)} ${id}: ${String(v.status)}${progress}`;
}

/** Runs the demo; resolves with how many of its three processes completed. */
export async function runDemo(creds: DemoCredentials, dataDir: string): Promise<number> {
  const client = createClient({
    baseUrl: creds.baseUrl,
    clientId: creds.clientId,
    clientSecret: creds.clientSecret,
    databasePath: join(dataDir, `demo-client-${creds.clientId}.sqlite`),
  });
  let completed = 0;
  try {
    const stamp = Date.now().toString(36);
    const handles = await Promise.all([
      client.submit(
        'order',
        {
          orderId: `demo-${stamp}-1`,
          customerId: 'c-100',
          currency: 'EUR',
          items: [
            { sku: 'WIDGET-1', quantity: 3, unitPrice: 9.5 },
            { sku: 'GADGET-7', quantity: 1, unitPrice: 120 },
          ],
          simulate: { delayMs: 800 },
        },
        { clientProcessId: `demo-${stamp}-order-1` },
      ),
      client.submit(
        'order',
        {
          orderId: `demo-${stamp}-2`,
          customerId: 'c-101',
          items: [{ sku: 'WIDGET-1', quantity: 500, unitPrice: 9.5 }],
        },
        { clientProcessId: `demo-${stamp}-order-2` },
      ),
      client.submit(
        'shipping',
        {
          shipmentId: `demo-${stamp}-s1`,
          orderId: `demo-${stamp}-1`,
          weightKg: 2.4,
          address: {
            name: 'ACME Wareneingang',
            street: 'Hauptstr. 1',
            city: 'Berlin',
            postalCode: '10115',
            country: 'DE',
          },
        },
        { clientProcessId: `demo-${stamp}-shipment-1` },
      ),
    ]);
    for (const h of handles)
      say(`  submitted ${h.processType} ${h.clientProcessId} → ${h.processId ?? '(queued)'}`);
    await Promise.all(
      handles.map(async (h) => {
        try {
          const view = await h.pollUntilDone({ onProgress: (v) => say(`  … ${describeView(v)}`) });
          completed++;
          say(`  ✓ ${describeView(view)} → ${JSON.stringify(view.result)}`);
        } catch (err) {
          const e = err as { message?: string; view?: ProcessStatusBody };
          say(
            `  ✗ ${h.processType} ${h.clientProcessId}: ${e.view?.error ? `${e.view.error.code}: ${e.view.error.message}` : e.message}`,
          );
        }
      }),
    );
  } finally {
    await client.close();
  }
  say(
    `demo: ${completed} of 3 processes completed (the second order asks for more stock than exists, it fails on purpose, with details)`,
  );
  return completed;
}
