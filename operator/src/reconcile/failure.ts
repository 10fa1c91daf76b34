import type { ProcessType, Tenant } from '@stargate/contracts';
import { setCondition } from '../desired/conditions.js';
import type { KubeObject } from '../desired/objects.js';
import { patchStatus } from './finalizers.js';
import type { ReconcileContext } from './context.js';

export const RECONCILE_FAILED = 'ReconcileFailed';

type Reconciled = (Tenant | ProcessType) & KubeObject;

/**
 * A reconcile that keeps failing (the API server refusing what we write, a missing namespace,
 * missing RBAC) must show on the resource itself, not only in the operator's log: Ready=False
 * with reason ReconcileFailed and the error. Everything else in status stays as it was
 * (observedGeneration included: that generation was not reconciled). Best effort: when even
 * the status write fails, the Event and the log are what is left.
 */
export async function reportFailure(ctx: ReconcileContext, obj: Reconciled, err: unknown): Promise<void> {
  const message = (err instanceof Error ? err.message : String(err)).slice(0, 1000);
  const generation = obj.metadata.generation;
  const conditions = setCondition(
    obj.status?.conditions,
    {
      type: 'Ready',
      status: 'False',
      reason: RECONCILE_FAILED,
      message: `the operator could not reconcile this resource and keeps retrying: ${message}`,
      ...(generation ? { observedGeneration: generation } : {}),
    },
    ctx.now(),
  );
  await patchStatus(ctx.client, obj, { ...obj.status, conditions }).catch((e: unknown) => {
    ctx.logger.warn({ err: String(e) }, 'could not report the failure in status');
  });
}
