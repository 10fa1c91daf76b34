/** Default schemas of the built-in example processes, shared with examples/ and the docs. */
export { ORDER_REQUEST_SCHEMA, ORDER_RESULT_SCHEMA } from './order.js';
export { SHIPPING_REQUEST_SCHEMA, SHIPPING_RESULT_SCHEMA } from './shipping.js';
