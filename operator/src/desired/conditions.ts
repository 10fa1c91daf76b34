import type { Condition } from '@stargate/contracts';

export type ConditionInput = Omit<Condition, 'lastTransitionTime'>;

/**
 * Sets one condition, keeping lastTransitionTime when the status did not change, as
 * Kubernetes' own meta.SetStatusCondition does: the time says when it became so.
 */
export function setCondition(
  existing: Condition[] | undefined,
  next: ConditionInput,
  now: Date,
): Condition[] {
  const list = existing ? [...existing] : [];
  const i = list.findIndex((c) => c.type === next.type);
  const prev = i >= 0 ? list[i] : undefined;
  const lastTransitionTime =
    prev && prev.status === next.status ? prev.lastTransitionTime : now.toISOString();
  const merged: Condition = { ...next, lastTransitionTime };
  if (i >= 0) list[i] = merged;
  else list.push(merged);
  return list;
}

export function findCondition(list: Condition[] | undefined, type: string): Condition | undefined {
  return list?.find((c) => c.type === type);
}
