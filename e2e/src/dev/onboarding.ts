/**
 * Live onboarding, as a platform engineer does it: `kubectl apply` a Tenant, see it Ready, give
 * the customer the credentials the operator generated — they get a token and a 202 within
 * seconds — then suspend it (its next request is refused), resume it, and change its rate limit
 * (the RateLimit headers change). Every step prints the command and the measured time.
 */
import { join } from 'node:path';
import { PROCESSES_PATH, statusPath } from '@stargate/contracts';
import { REPO_ROOT } from '../support/stack.js';
import { say, seconds, showCommand } from './console.js';
import type { Kubectl } from './kubectl.js';

export const ONBOARDING_TENANT = 'initech';
const TENANT_FILE = 'e2e/src/dev/tenant-initech.yaml';

export interface OnboardingResult {
  applyToReadyMs: number;
  applyToFirst202Ms: number;
  suspendToRefusedMs: number;
  resumeToAcceptedMs: number;
  rateLimitChangeMs: number;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function call(url: string, init: RequestInit): Promise<Answer> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { text };
  }
  return { status: res.status, body, headers: res.headers };
}

/** Polls `attempt` until `done` says so; returns the answer and how long it took from `since`. */
async function until(
  since: number,
  what: string,
  attempt: () => Promise<Answer>,
  done: (a: Answer) => boolean,
  timeoutMs = 90_000,
): Promise<{ answer: Answer; ms: number }> {
  let last: Answer | undefined;
  for (;;) {
    try {
      last = await attempt();
      if (done(last)) return { answer: last, ms: Date.now() - since };
    } catch {
      // the gateway answers again in a moment
    }
    if (Date.now() - since > timeoutMs)
      throw new Error(
        `${what}: not seen within ${timeoutMs / 1000} s (last answer ${last?.status} ${JSON.stringify(last?.body)})`,
      );
    await new Promise((r) => setTimeout(r, 150));
  }
}

const problem = (a: Answer) =>
  `${a.status} ${String(a.body.code ?? a.body.error ?? a.body.title ?? '')}`.trim();

export async function liveOnboarding(k: Kubectl, baseUrl: string): Promise<OnboardingResult> {
  const name = ONBOARDING_TENANT;
  if (await k.getOptional('tenant', name)) {
    say(`  (removing tenant ${name} left by an earlier run first)`);
    await k.run(['delete', 'tenant', name, '--wait=true', '--timeout=90s']);
  }

  say(`A platform engineer onboards a new customer, ${name}:`);
  const applyArgs = ['apply', '-f', TENANT_FILE];
  const t0 = Date.now();
  const applied = await k.run(['apply', '-f', join(REPO_ROOT, TENANT_FILE)]);
  showCommand(k.shown(applyArgs), applied);
  const waitArgs = ['wait', '--for=condition=Ready', `tenant/${name}`, '--timeout=90s'];
  const waited = await k.run(waitArgs);
  const applyToReadyMs = Date.now() - t0;
  showCommand(k.shown(waitArgs), `${waited.trim()}   (${seconds(applyToReadyMs)} after the apply)`);
  showCommand(k.shown(['get', 'tenants']), await k.run(['get', 'tenants']));

  say(`The customer receives the credentials the operator generated for ${name}:`);
  const secretName = `${name}-stargate-credentials`;
  const clientId = await k.secretValue(secretName, 'client-id');
  const clientSecret = await k.secretValue(secretName, 'client-secret');
  if (!clientId || !clientSecret) throw new Error(`Secret ${secretName} has no client-id/client-secret`);
  showCommand(
    k.shown(['get', 'secret', secretName, '-o', 'jsonpath={.data.client-secret}']) + ' | base64 -d',
    `${clientSecret.slice(0, 6)}… (client id ${clientId})`,
  );
  const basic = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
  const tokenAnswer = await until(
    t0,
    'a token for the new tenant',
    () =>
      call(`${baseUrl}/oauth/token`, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      }),
    (a) => a.status === 200,
  );
  const token = String(tokenAnswer.answer.body.access_token);
  const auth = { authorization: `Bearer ${token}` };
  const submit = () =>
    call(`${baseUrl}${PROCESSES_PATH}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        processType: 'order',
        clientProcessId: `initech-${Date.now().toString(36)}`,
        data: {
          orderId: `initech-${Date.now().toString(36)}`,
          customerId: 'initech-1',
          items: [{ sku: 'STAPLER-RED', quantity: 1, unitPrice: 12.5 }],
        },
      }),
    });
  const first = await until(t0, 'a 202 for the new tenant', submit, (a) => a.status === 202);
  const processId = String(first.answer.body.processId);
  const policyBefore = first.answer.headers.get('ratelimit-policy') ?? '(none)';
  say(`  POST /oauth/token → 200; POST /api/stargate/processes → 202 Accepted, processId ${processId}`);
  say(`  ⏱ kubectl apply → first 202: ${seconds(first.ms)}`);
  say(`  RateLimit-Policy: ${policyBefore}`);
  const read = () => call(`${baseUrl}${statusPath(processId)}`, { headers: auth });

  say(`Suspend ${name}:`);
  const suspendArgs = ['patch', 'tenant', name, '--type=merge', '-p', '{"spec":{"suspended":true}}'];
  const t1 = Date.now();
  showCommand(k.shown(suspendArgs), await k.run(suspendArgs));
  const refused = await until(t1, 'the suspended tenant refused', read, (a) => a.status === 403);
  say(
    `  GET /api/stargate/processes/${processId} with its token → ${problem(refused.answer)}   (${seconds(refused.ms)} after the patch)`,
  );

  say(`Resume ${name}:`);
  const resumeArgs = ['patch', 'tenant', name, '--type=merge', '-p', '{"spec":{"suspended":false}}'];
  const t2 = Date.now();
  showCommand(k.shown(resumeArgs), await k.run(resumeArgs));
  const accepted = await until(t2, 'the resumed tenant accepted', read, (a) => a.status === 200);
  say(
    `  GET /api/stargate/processes/${processId} → ${accepted.answer.status}   (${seconds(accepted.ms)} after the patch)`,
  );

  say(`Tighten ${name}'s rate limit:`);
  const limitArgs = [
    'patch',
    'tenant',
    name,
    '--type=merge',
    '-p',
    '{"spec":{"rateLimit":{"requestsPerMinute":60,"burst":5}}}',
  ];
  const t3 = Date.now();
  showCommand(k.shown(limitArgs), await k.run(limitArgs));
  const changed = await until(
    t3,
    'the new rate limit in the RateLimit headers',
    read,
    // A 429 under the tighter limit shows the new policy just as well.
    (a) =>
      (a.status === 200 || a.status === 429) &&
      (a.headers.get('ratelimit-policy') ?? policyBefore) !== policyBefore,
  );
  say(`  RateLimit-Policy before: ${policyBefore}`);
  say(
    `  RateLimit-Policy after:  ${changed.answer.headers.get('ratelimit-policy')}   (${seconds(changed.ms)} after the patch)`,
  );
  say(`  RateLimit: ${changed.answer.headers.get('ratelimit')}   (answer ${changed.answer.status})`);
  return {
    applyToReadyMs,
    applyToFirst202Ms: first.ms,
    suspendToRefusedMs: refused.ms,
    resumeToAcceptedMs: accepted.ms,
    rateLimitChangeMs: changed.ms,
  };
}
