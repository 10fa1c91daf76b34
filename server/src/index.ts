export {
  defineHandler,
  HandlerError,
  sleep,
  type Handler,
  type HandlerContext,
} from './handlers/define-handler.js';
export { createForwardHandler } from './handlers/http-forward.js';
export { orderHandler, DEMO_STOCK_PER_SKU, type OrderRequest, type OrderResult } from './handlers/order.js';
export {
  shippingHandler,
  SERVED_COUNTRIES,
  type ShippingRequest,
  type ShippingResult,
} from './handlers/shipping.js';
export {
  ORDER_REQUEST_SCHEMA,
  ORDER_RESULT_SCHEMA,
  SHIPPING_REQUEST_SCHEMA,
  SHIPPING_RESULT_SCHEMA,
} from './handlers/schemas.js';
export { parseEncryptionKeys, type EncryptionKey } from './crypto/field-cipher.js';
export {
  createServer,
  startServer,
  type RunningServer,
  type ServerDeps,
  type StargateServer,
  type StartServerOptions,
} from './server.js';
export { resolveProcessTypes, type ProcessTypeRuntime } from './config/process-types.js';
