export { type OperatorConfig, ConfigError, loadConfig } from './config.js';
export { desiredGatewayConfig } from './desired/gateway-config.js';
export { desiredServerConfig } from './desired/server-config.js';
export { startHealthServer } from './health.js';
export { createKubeClient, type KubeClient } from './kube/client.js';
export { startOperator, type Operator } from './operator.js';
export { DEV_CREDENTIALS_FILE, RenderError, type RenderResult, renderFolder } from './render.js';
