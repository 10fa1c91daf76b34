/**
 * What a ProcessType author may ask of the private zone. Handler pods run next to the record
 * of truth with store and broker credentials, so the platform admin decides which images may
 * run there (chart value `server.allowedImages`) and which Secrets a forwarding handler may
 * read and send to its `forward.url` (only those labelled `stargate.io/forward-credentials: "true"`).
 */
import type { ProcessType } from '@stargate/contracts';

/** The opt-in label a Secret needs before a ProcessType may use it as forward credentials. */
export const FORWARD_CREDENTIALS_LABEL = 'stargate.io/forward-credentials';

export interface PolicyProblem {
  reason: 'ImageNotAllowed' | 'SecretNotAllowed';
  message: string;
}

/**
 * An entry is an exact image reference, or a prefix ending in `*` (`registry.example/handlers/*`).
 * The operator's own handler image is always allowed.
 */
export function imageAllowed(image: string, allowed: readonly string[], defaultImage: string): boolean {
  if (image === defaultImage) return true;
  return allowed.some((entry) =>
    entry.endsWith('*') ? image.startsWith(entry.slice(0, -1)) : image === entry,
  );
}

export function imageProblem(
  pt: ProcessType,
  allowed: readonly string[],
  defaultImage: string,
): PolicyProblem | undefined {
  const image = pt.spec.handler.image;
  if (image === undefined || imageAllowed(image, allowed, defaultImage)) return undefined;
  return {
    reason: 'ImageNotAllowed',
    message:
      `handler image "${image}" is not allowed in the private zone; the platform admin allows images ` +
      `with the chart value server.allowedImages (now: ${allowed.length ? allowed.join(', ') : 'none besides the default handler image'})`,
  };
}

export function secretProblem(
  secretName: string,
  namespace: string,
  labels: Record<string, string> | undefined,
): PolicyProblem | undefined {
  if (labels?.[FORWARD_CREDENTIALS_LABEL] === 'true') return undefined;
  return {
    reason: 'SecretNotAllowed',
    message:
      `Secret "${secretName}" in namespace ${namespace} is not labelled ${FORWARD_CREDENTIALS_LABEL}: "true"; ` +
      'only Secrets the platform admin marks so may be sent to a forward URL',
  };
}
