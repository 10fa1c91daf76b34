import type { Condition, ProcessType } from '@stargate/contracts';
import {
  autoscalingOf,
  desiredScaledObject,
  desiredTriggerAuthentication,
  KEDA_API_VERSION,
} from '../desired/autoscaling.js';
import { type ConditionInput, setCondition } from '../desired/conditions.js';
import { type HandlerOptions, handlerName } from '../desired/handler.js';
import { FIELD_MANAGER } from '../desired/labels.js';
import { type KubeClient, resourcePath } from '../kube/client.js';

export const AUTOSCALING_CONDITION = 'Autoscaling';

/** True when the cluster serves KEDA's ScaledObject and TriggerAuthentication (discovery, no RBAC needed). */
export async function kedaServed(client: KubeClient): Promise<boolean> {
  const list = await client.get<{ resources?: { name: string }[] }>(`/apis/${KEDA_API_VERSION}`);
  const names = new Set((list?.resources ?? []).map((r) => r.name));
  return names.has('scaledobjects') && names.has('triggerauthentications');
}

export function kedaPaths(ns: string, name: string): string[] {
  return [
    resourcePath(KEDA_API_VERSION, 'ScaledObject', ns, name),
    resourcePath(KEDA_API_VERSION, 'TriggerAuthentication', ns, name),
  ];
}

/** Whether this ProcessType asks for, or did ask for, autoscaling (so KEDA objects may exist). */
export function mayHaveKedaObjects(pt: ProcessType): boolean {
  return (
    !!pt.spec.handler.autoscaling || !!pt.status?.conditions?.some((c) => c.type === AUTOSCALING_CONDITION)
  );
}

export interface AutoscalingPlan {
  /** KEDA will scale: the Deployment is applied without `spec.replicas`. */
  kedaScales: boolean;
  /** The Autoscaling condition to set, or undefined to remove it. */
  condition?: ConditionInput;
  /** When KEDA is missing, look again later: it may be installed without telling us. */
  recheck: boolean;
}

export async function planAutoscaling(client: KubeClient, pt: ProcessType): Promise<AutoscalingPlan> {
  const a = autoscalingOf(pt);
  if (!a) return { kedaScales: false, recheck: false };
  const generation = pt.metadata.generation;
  const gen = generation ? { observedGeneration: generation } : {};
  if (!(await kedaServed(client))) {
    return {
      kedaScales: false,
      recheck: true,
      condition: {
        type: AUTOSCALING_CONDITION,
        status: 'False',
        reason: 'KedaNotInstalled',
        message: `spec.handler.autoscaling needs KEDA (${KEDA_API_VERSION} ScaledObject is not served by this cluster): the handler runs a fixed ${pt.spec.handler.replicas ?? 1} replica(s) from spec.handler.replicas`,
        ...gen,
      },
    };
  }
  return {
    kedaScales: true,
    recheck: false,
    condition: {
      type: AUTOSCALING_CONDITION,
      status: 'True',
      reason: 'KedaScaling',
      message: `KEDA scales the handler between ${a.minReplicas} and ${a.maxReplicas} replicas, ${a.queueLength} waiting messages per replica`,
      ...gen,
    },
  };
}

/** Makes the KEDA objects match the plan: applied while KEDA scales, deleted when autoscaling was dropped. */
export async function applyAutoscaling(
  client: KubeClient,
  pt: ProcessType,
  opts: HandlerOptions,
  plan: AutoscalingPlan,
): Promise<void> {
  if (plan.kedaScales) {
    await client.apply(desiredTriggerAuthentication(pt, opts), FIELD_MANAGER);
    await client.apply(desiredScaledObject(pt, opts), FIELD_MANAGER);
  } else if (!pt.spec.handler.autoscaling && mayHaveKedaObjects(pt)) {
    for (const path of kedaPaths(opts.namespace, handlerName(pt))) await client.delete(path);
  }
}

export function withAutoscalingCondition(
  conditions: Condition[] | undefined,
  plan: AutoscalingPlan,
  now: Date,
): Condition[] | undefined {
  if (plan.condition) return setCondition(conditions, plan.condition, now);
  const rest = conditions?.filter((c) => c.type !== AUTOSCALING_CONDITION);
  return rest && rest.length > 0 ? rest : undefined;
}
