import type { Server } from 'node:http';
import type { Metrics } from './metrics.js';

/** gateway_active_connections follows the listener's open sockets (keep-alive ones included). */
export function trackConnections(server: Server, metrics: Metrics): void {
  server.on('connection', (socket) => {
    metrics.activeConnections.inc();
    socket.once('close', () => metrics.activeConnections.dec());
  });
}
