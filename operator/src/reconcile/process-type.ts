import { type ProcessType, type ProcessTypeStatus, processQueue } from '@stargate/contracts';
import { setCondition } from '../desired/conditions.js';
import { isDeleting, isPaused, processTypeConfig, processTypeProblem } from '../desired/gateway-config.js';
import {
  desiredConfigMap,
  desiredDeployment,
  desiredPodDisruptionBudget,
  type HandlerOptions,
  handlerName,
} from '../desired/handler.js';
import { imageProblem, secretProblem } from '../desired/handler-policy.js';
import { FIELD_MANAGER } from '../desired/labels.js';
import type { DeploymentObject, KubeObject } from '../desired/objects.js';
import { desiredServerConfig, handlerSummary } from '../desired/server-config.js';
import { resourcePath } from '../kube/client.js';
import {
  AUTOSCALING_CONDITION,
  type AutoscalingPlan,
  applyAutoscaling,
  kedaPaths,
  mayHaveKedaObjects,
  planAutoscaling,
  withAutoscalingCondition,
} from './autoscaling.js';
import { GATEWAY_CONFIG_KEY, type ReconcileContext, type ReconcileResult } from './context.js';
import { hasFinalizer, patchStatus, setFinalizer } from './finalizers.js';

function childPaths(ns: string, name: string) {
  return [
    resourcePath('apps/v1', 'Deployment', ns, name),
    resourcePath('policy/v1', 'PodDisruptionBudget', ns, name),
    resourcePath('v1', 'ConfigMap', ns, name),
  ];
}

export async function reconcileProcessType(
  ctx: ReconcileContext,
  ns: string,
  name: string,
): Promise<ReconcileResult> {
  let pt = ctx.processTypes.get(ns, name);
  if (!pt) return {};
  const opts: HandlerOptions = {
    namespace: ctx.config.privateNamespace,
    defaultImage: ctx.config.handlerImage,
    ...(ctx.config.encryptionKeys ? { encryptionKeys: ctx.config.encryptionKeys } : {}),
    ...(ctx.config.amqpQuorumInitialGroupSize !== undefined
      ? { amqpQuorumInitialGroupSize: ctx.config.amqpQuorumInitialGroupSize }
      : {}),
  };

  if (isDeleting(pt)) {
    if (!hasFinalizer(pt)) return {};
    // The children live in another namespace, out of reach of owner references: delete them by name.
    const paths = childPaths(opts.namespace, handlerName(pt));
    if (mayHaveKedaObjects(pt)) paths.unshift(...kedaPaths(opts.namespace, handlerName(pt)));
    for (const path of paths) await ctx.client.delete(path);
    await setFinalizer(ctx.client, pt, false);
    ctx.enqueue(GATEWAY_CONFIG_KEY);
    ctx.logger.info({ processType: `${ns}/${name}` }, 'process type deleted: handler removed');
    return {};
  }
  if (isPaused(pt)) return {};

  pt = await setFinalizer(ctx.client, pt, true);
  const generation = pt.metadata.generation;
  const base = {
    ...(generation ? { observedGeneration: generation } : {}),
    queue: processQueue(name),
    handler: handlerSummary(pt),
  };
  const setReady = async (
    status: 'True' | 'False',
    reason: string,
    message: string,
    readyReplicas?: number,
    autoscaling?: AutoscalingPlan,
  ) => {
    const previous = pt.status?.conditions;
    const conditions = autoscaling ? withAutoscalingCondition(previous, autoscaling, ctx.now()) : previous;
    const ptStatus: ProcessTypeStatus = {
      conditions: setCondition(
        conditions,
        { type: 'Ready', status, reason, message, ...(generation ? { observedGeneration: generation } : {}) },
        ctx.now(),
      ),
      ...base,
      ...(readyReplicas !== undefined ? { readyReplicas } : {}),
    };
    const before = pt.status?.conditions?.find((c) => c.type === 'Ready');
    if (before?.reason !== reason)
      ctx.events.record(pt, status === 'False' ? 'Warning' : 'Normal', reason, message);
    const scaling = autoscaling?.condition;
    const scalingBefore = previous?.find((c) => c.type === AUTOSCALING_CONDITION);
    if (scaling && scalingBefore?.reason !== scaling.reason)
      ctx.events.record(
        pt,
        scaling.status === 'False' ? 'Warning' : 'Normal',
        scaling.reason,
        scaling.message,
      );
    await patchStatus(ctx.client, pt as ProcessType & KubeObject, ptStatus);
  };

  const schemaProblem = processTypeProblem(processTypeConfig(pt));
  if (schemaProblem) {
    await setReady('False', schemaProblem.reason, schemaProblem.message);
    ctx.enqueue(GATEWAY_CONFIG_KEY);
    return {};
  }
  const imageRefused = imageProblem(pt, ctx.config.allowedHandlerImages, opts.defaultImage);
  if (imageRefused) {
    // An existing Deployment keeps its previous, allowed image.
    await setReady('False', imageRefused.reason, imageRefused.message);
    return {};
  }
  const ref = pt.spec.handler.forward?.credentialsSecretRef;
  if (ref) {
    const secret = await ctx.client.get<KubeObject>(resourcePath('v1', 'Secret', opts.namespace, ref.name));
    if (!secret) {
      await setReady(
        'False',
        'SecretNotFound',
        `Secret "${ref.name}" (forward credentials) not found in namespace ${opts.namespace}`,
      );
      return { requeueAfterMs: ctx.recheckMs };
    }
    const secretRefused = secretProblem(ref.name, opts.namespace, secret.metadata.labels);
    if (secretRefused) {
      await setReady('False', secretRefused.reason, secretRefused.message);
      return { requeueAfterMs: ctx.recheckMs };
    }
  }

  const keys = opts.encryptionKeys;
  let keysValue: string | undefined;
  if (keys) {
    // Without it the pods could not start (or, were the reference optional, would write plaintext).
    const secret = await ctx.client.get<KubeObject & { data?: Record<string, string> }>(
      resourcePath('v1', 'Secret', opts.namespace, keys.secret),
    );
    if (!secret?.data?.[keys.key]) {
      await setReady(
        'False',
        'EncryptionKeysNotFound',
        `Secret "${keys.secret}" with key "${keys.key}" (the handlers' encryption keys) not found in namespace ${opts.namespace}; ` +
          'the chart creates it (server.encryption), or the operator runs with STARGATE_ENCRYPTION_AT_REST=false',
      );
      return { requeueAfterMs: ctx.recheckMs };
    }
    keysValue = secret.data[keys.key];
  }

  const tenants = ctx.tenants.list().filter((t) => t.metadata.namespace === ns && !isDeleting(t));
  const serverConfig = desiredServerConfig([pt], tenants);
  const autoscaling = await planAutoscaling(ctx.client, pt);
  const handlerOpts: HandlerOptions = {
    ...opts,
    kedaScales: autoscaling.kedaScales,
    ...(keysValue ? { encryptionKeysValue: keysValue } : {}),
  };
  await ctx.client.apply(desiredConfigMap(pt, serverConfig, handlerOpts), FIELD_MANAGER);
  // The ScaledObject first: from the moment spec.replicas is no longer ours, KEDA owns it.
  await applyAutoscaling(ctx.client, pt, handlerOpts, autoscaling);
  const deployment = await ctx.client.apply<DeploymentObject>(
    desiredDeployment(pt, serverConfig, handlerOpts),
    FIELD_MANAGER,
  );
  await ctx.client.apply(desiredPodDisruptionBudget(pt, handlerOpts), FIELD_MANAGER);

  const replicas = autoscaling.kedaScales ? (deployment.spec.replicas ?? 1) : (pt.spec.handler.replicas ?? 1);
  const readyReplicas = deployment.status?.readyReplicas ?? 0;
  if (replicas === 0)
    await setReady('True', 'ScaledToZero', 'handler scaled to zero replicas', 0, autoscaling);
  else if (readyReplicas > 0)
    await setReady(
      'True',
      'Available',
      `${readyReplicas}/${replicas} handler replicas ready`,
      readyReplicas,
      autoscaling,
    );
  else await setReady('False', 'HandlerNotReady', `0/${replicas} handler replicas ready`, 0, autoscaling);
  ctx.enqueue(GATEWAY_CONFIG_KEY);
  return autoscaling.recheck ? { requeueAfterMs: ctx.recheckMs } : {};
}
