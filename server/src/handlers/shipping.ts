import { createHash } from 'node:crypto';
import { defineHandler, HandlerError } from './define-handler.js';
import { SIMULATION_SCHEMA, type Simulation, simulatedFailure, simulatedStep } from './simulate.js';

/**
 * Built-in example process `shipping`: validate the shipment, check the address is in a
 * served country (demo list SERVED_COUNTRIES, else ADDRESS_NOT_SERVICEABLE), book a carrier.
 */
export const SERVED_COUNTRIES = ['AT', 'BE', 'CH', 'DE', 'DK', 'ES', 'FR', 'IT', 'NL', 'PL', 'SE'] as const;

export interface ShippingRequest {
  shipmentId: string;
  orderId: string;
  address: { name: string; street: string; city: string; postalCode: string; country: string };
  weightKg: number;
  simulate?: Simulation;
}

export interface ShippingResult {
  shipmentId: string;
  status: 'booked';
  carrier: string;
  trackingNumber: string;
  cost: number;
  estimatedDelivery: string;
}

export const SHIPPING_REQUEST_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['shipmentId', 'orderId', 'address', 'weightKg'],
  properties: {
    shipmentId: { type: 'string', minLength: 1, maxLength: 128 },
    orderId: { type: 'string', minLength: 1, maxLength: 128 },
    weightKg: { type: 'number', exclusiveMinimum: 0, maximum: 1000 },
    address: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'street', 'city', 'postalCode', 'country'],
      properties: {
        name: { type: 'string', minLength: 1 },
        street: { type: 'string', minLength: 1 },
        city: { type: 'string', minLength: 1 },
        postalCode: { type: 'string', minLength: 1, maxLength: 16 },
        country: { type: 'string', pattern: '^[A-Z]{2}$' },
      },
    },
    simulate: SIMULATION_SCHEMA,
  },
} as const;

export const SHIPPING_RESULT_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  required: ['shipmentId', 'status', 'carrier', 'trackingNumber', 'cost', 'estimatedDelivery'],
  properties: {
    shipmentId: { type: 'string' },
    status: { const: 'booked' },
    carrier: { type: 'string' },
    trackingNumber: { type: 'string' },
    cost: { type: 'number' },
    estimatedDelivery: { type: 'string', format: 'date-time' },
  },
} as const;

const DAY_MS = 86_400_000;

export const shippingHandler = defineHandler<ShippingRequest, ShippingResult>({
  type: 'shipping',
  async handle(ctx, shipment) {
    await ctx.progress(10, 'validating');
    await simulatedStep(ctx, shipment.simulate);
    simulatedFailure(ctx, shipment.simulate);

    await ctx.progress(40, 'checking address');
    await simulatedStep(ctx, shipment.simulate);
    const country = shipment.address.country;
    if (!(SERVED_COUNTRIES as readonly string[]).includes(country)) {
      throw new HandlerError('ADDRESS_NOT_SERVICEABLE', `no carrier serves ${country}`, {
        details: { country, servedCountries: [...SERVED_COUNTRIES] },
      });
    }

    await ctx.progress(80, 'booking carrier');
    await simulatedStep(ctx, shipment.simulate);
    const domestic = country === 'DE';
    return {
      shipmentId: shipment.shipmentId,
      status: 'booked',
      carrier: domestic ? 'DHL' : 'DPD',
      // Deterministic per process, so a re-run after a crash books the same parcel.
      trackingNumber: createHash('sha256').update(ctx.processId).digest('hex').slice(0, 16).toUpperCase(),
      cost: Math.round((domestic ? 4.99 : 9.99 + shipment.weightKg * 0.5) * 100) / 100,
      estimatedDelivery: new Date(Date.now() + (domestic ? 2 : 4) * DAY_MS).toISOString(),
    };
  },
});
