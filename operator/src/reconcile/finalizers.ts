import { FINALIZER } from '@stargate/contracts';
import type { KubeObject } from '../desired/objects.js';
import { sameJson } from '../desired/same-json.js';
import { type KubeClient, objectPath } from '../kube/client.js';

/**
 * Adds or removes our finalizer with a merge patch that carries the resourceVersion, so a
 * concurrent change makes it fail with 409 (and the key is retried) instead of losing a finalizer.
 */
export async function setFinalizer<T extends KubeObject>(
  client: KubeClient,
  obj: T,
  present: boolean,
): Promise<T> {
  const current = obj.metadata.finalizers ?? [];
  const has = current.includes(FINALIZER);
  if (has === present) return obj;
  const finalizers = present ? [...current, FINALIZER] : current.filter((f) => f !== FINALIZER);
  const updated = await client.mergePatch<T>(objectPath(obj), {
    metadata: { finalizers, resourceVersion: obj.metadata.resourceVersion },
  });
  return { ...updated, apiVersion: obj.apiVersion, kind: obj.kind };
}

export function hasFinalizer(obj: KubeObject): boolean {
  return obj.metadata.finalizers?.includes(FINALIZER) ?? false;
}

/**
 * Writes status only when it changed, so our own write does not start another round. Compared
 * as JSON documents: the API server hands status back with its keys sorted.
 */
export async function patchStatus<S>(
  client: KubeClient,
  obj: KubeObject & { status?: S },
  status: S,
): Promise<void> {
  if (sameJson(obj.status ?? {}, status)) return;
  await client.mergePatch(`${objectPath(obj)}/status`, { status });
}
