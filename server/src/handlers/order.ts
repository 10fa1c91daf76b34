import { createHash } from 'node:crypto';
import { defineHandler, HandlerError } from './define-handler.js';
import { SIMULATION_SCHEMA, type Simulation, simulatedFailure, simulatedStep } from './simulate.js';

/**
 * Built-in example process `order`: validate the order, check inventory, confirm it.
 * Demo inventory: every SKU has DEMO_STOCK_PER_SKU units, so a line with a higher quantity
 * fails with INVENTORY_INSUFFICIENT {sku, requested, available}.
 */
export const DEMO_STOCK_PER_SKU = 100;

export interface OrderItem {
  sku: string;
  quantity: number;
  unitPrice: number;
}

export interface OrderRequest {
  orderId: string;
  customerId: string;
  items: OrderItem[];
  currency?: string;
  simulate?: Simulation;
}

export interface OrderResult {
  orderId: string;
  status: 'confirmed';
  confirmationNumber: string;
  totalAmount: number;
  currency: string;
  itemCount: number;
  confirmedAt: string;
}

export const ORDER_REQUEST_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['orderId', 'customerId', 'items'],
  properties: {
    orderId: { type: 'string', minLength: 1, maxLength: 128 },
    customerId: { type: 'string', minLength: 1, maxLength: 128 },
    currency: { type: 'string', pattern: '^[A-Z]{3}$' },
    items: {
      type: 'array',
      minItems: 1,
      maxItems: 500,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['sku', 'quantity', 'unitPrice'],
        properties: {
          sku: { type: 'string', minLength: 1, maxLength: 64 },
          quantity: { type: 'integer', minimum: 1 },
          unitPrice: { type: 'number', minimum: 0 },
        },
      },
    },
    simulate: SIMULATION_SCHEMA,
  },
} as const;

export const ORDER_RESULT_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  required: [
    'orderId',
    'status',
    'confirmationNumber',
    'totalAmount',
    'currency',
    'itemCount',
    'confirmedAt',
  ],
  properties: {
    orderId: { type: 'string' },
    status: { const: 'confirmed' },
    confirmationNumber: { type: 'string' },
    totalAmount: { type: 'number' },
    currency: { type: 'string' },
    itemCount: { type: 'integer' },
    confirmedAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const orderHandler = defineHandler<OrderRequest, OrderResult>({
  type: 'order',
  async handle(ctx, order) {
    await ctx.progress(10, 'validating');
    await simulatedStep(ctx, order.simulate);
    simulatedFailure(ctx, order.simulate);

    await ctx.progress(40, 'checking inventory');
    await simulatedStep(ctx, order.simulate);
    const requested = new Map<string, number>();
    for (const item of order.items) requested.set(item.sku, (requested.get(item.sku) ?? 0) + item.quantity);
    for (const [sku, quantity] of requested) {
      if (quantity > DEMO_STOCK_PER_SKU) {
        throw new HandlerError('INVENTORY_INSUFFICIENT', `not enough stock of ${sku}`, {
          details: { sku, requested: quantity, available: DEMO_STOCK_PER_SKU },
        });
      }
    }

    await ctx.progress(80, 'confirming');
    await simulatedStep(ctx, order.simulate);
    const total = order.items.reduce((sum, i) => sum + i.quantity * i.unitPrice, 0);
    // Deterministic per process, so a re-run after a crash confirms with the same number.
    const confirmationNumber = `ORD-${createHash('sha256').update(ctx.processId).digest('hex').slice(0, 10).toUpperCase()}`;
    return {
      orderId: order.orderId,
      status: 'confirmed',
      confirmationNumber,
      totalAmount: Math.round(total * 100) / 100,
      currency: order.currency ?? 'EUR',
      itemCount: order.items.length,
      confirmedAt: new Date().toISOString(),
    };
  },
});
