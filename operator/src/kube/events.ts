import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { KubeObject } from '../desired/objects.js';
import { type KubeClient, resourcePath } from './client.js';

export interface EventRecorder {
  /** Best effort: an Event that cannot be written is logged, never fails a reconcile. */
  record(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export function createEventRecorder(client: KubeClient, component: string, logger: Logger): EventRecorder {
  return {
    record(obj, type, reason, message) {
      const ns = obj.metadata.namespace ?? 'default';
      const now = new Date().toISOString();
      const event = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${obj.metadata.name}.${randomBytes(8).toString('hex')}`, namespace: ns },
        involvedObject: {
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          name: obj.metadata.name,
          namespace: ns,
          uid: obj.metadata.uid,
          resourceVersion: obj.metadata.resourceVersion,
        },
        type,
        reason,
        message,
        source: { component },
        reportingComponent: component,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      };
      client.create(resourcePath('v1', 'Event', ns), event).catch((err: unknown) => {
        logger.warn({ err: String(err), reason }, 'could not record event');
      });
    },
  };
}
