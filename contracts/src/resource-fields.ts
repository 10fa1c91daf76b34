/**
 * The fields of the custom resources' spec and status, as tables the compiler ties to the
 * TypeScript types of resources.ts: a table must name exactly the fields of its type, mark
 * exactly the non-optional ones `required`, give each its JSON kind, list every member of a
 * string-literal union as its enum, and describe nested objects (and arrays of objects) the
 * same way. resources.test.ts compares these tables with the OpenAPI schemas in crds/*.yaml,
 * so a type and its CRD cannot drift apart unnoticed.
 */
import type {
  Condition,
  HandlerSpec,
  ProcessTypeSpec,
  ProcessTypeStatus,
  TenantSpec,
  TenantStatus,
} from './resources.js';

export type JsonKind = 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object';

type KindOf<V> = [V] extends [string]
  ? 'string'
  : [V] extends [number]
    ? 'integer' | 'number'
    : [V] extends [boolean]
      ? 'boolean'
      : [V] extends [readonly unknown[]]
        ? 'array'
        : 'object';

/** An object with named fields (not a string-keyed map such as labels or a free-form schema). */
type IsStruct<V> = [V] extends [readonly unknown[]]
  ? false
  : [V] extends [object]
    ? string extends keyof V
      ? false
      : true
    : false;

type ItemOf<V> = [V] extends [readonly (infer E)[]] ? E : V;

/** Every member of a string-literal union, once: `{ submit: true, read: true, cancel: true }`. */
type EnumPart<I> = [I] extends [string]
  ? string extends I
    ? { readonly enum?: undefined }
    : { readonly enum: { readonly [M in I]: true } }
  : { readonly enum?: undefined };

type NestedPart<V> = [V] extends [readonly (infer E)[]]
  ? IsStruct<E> extends true
    ? { readonly items: FieldTable<E> }
    : { readonly items?: undefined }
  : IsStruct<V> extends true
    ? { readonly fields: FieldTable<V> }
    : { readonly fields?: undefined };

export type FieldEntry<V, Required extends boolean> = {
  readonly type: KindOf<V>;
  readonly required: Required;
} & EnumPart<ItemOf<V>> &
  NestedPart<V>;

export type FieldTable<T> = {
  readonly [K in keyof T]-?: FieldEntry<Exclude<T[K], undefined>, object extends Pick<T, K> ? false : true>;
};

/** What the tables hold, without the type ties (for walking them). */
export interface AnyFieldEntry {
  readonly type: JsonKind;
  readonly required: boolean;
  readonly enum?: Readonly<Record<string, true>>;
  readonly fields?: Readonly<Record<string, AnyFieldEntry>>;
  readonly items?: Readonly<Record<string, AnyFieldEntry>>;
}

const str = { type: 'string', required: false } as const;
const int = { type: 'integer', required: false } as const;

const CONDITION_FIELDS: FieldTable<Condition> = {
  type: { type: 'string', required: true },
  status: { type: 'string', required: true, enum: { True: true, False: true, Unknown: true } },
  reason: { type: 'string', required: true },
  message: { type: 'string', required: true },
  lastTransitionTime: { type: 'string', required: true },
  observedGeneration: int,
};

export const TENANT_SPEC_FIELDS: FieldTable<TenantSpec> = {
  displayName: { type: 'string', required: true },
  processTypes: {
    type: 'array',
    required: true,
    items: {
      name: { type: 'string', required: true },
      operations: { type: 'array', required: false, enum: { submit: true, read: true, cancel: true } },
    },
  },
  rateLimit: {
    type: 'object',
    required: false,
    fields: {
      requestsPerMinute: { type: 'integer', required: true },
      burst: int,
      perType: {
        type: 'array',
        required: false,
        items: {
          processType: { type: 'string', required: true },
          requestsPerMinute: { type: 'integer', required: true },
          burst: int,
        },
      },
    },
  },
  credentials: {
    type: 'object',
    required: false,
    fields: {
      type: { type: 'string', required: false, enum: { generated: true, external: true } },
      rotationToken: str,
      issuer: str,
      audience: str,
      jwksUrl: str,
      clientId: str,
    },
  },
  suspended: { type: 'boolean', required: false },
  dataRetention: { type: 'object', required: false, fields: { days: { type: 'integer', required: true } } },
};

export const TENANT_STATUS_FIELDS: FieldTable<TenantStatus> = {
  conditions: { type: 'array', required: false, items: CONDITION_FIELDS },
  observedGeneration: int,
  clientId: str,
  secretName: str,
  processTypes: str,
};

const HANDLER_FIELDS: FieldTable<HandlerSpec> = {
  builtin: str,
  forward: {
    type: 'object',
    required: false,
    fields: {
      url: { type: 'string', required: true },
      method: { type: 'string', required: false, enum: { POST: true, PUT: true, PATCH: true } },
      timeoutSeconds: int,
      headers: { type: 'object', required: false },
      credentialsSecretRef: {
        type: 'object',
        required: false,
        fields: {
          name: { type: 'string', required: true },
          key: { type: 'string', required: true },
          header: str,
        },
      },
    },
  },
  image: str,
  replicas: int,
  autoscaling: {
    type: 'object',
    required: false,
    fields: { minReplicas: int, maxReplicas: { type: 'integer', required: true }, queueLength: int },
  },
  concurrency: int,
  resources: {
    type: 'object',
    required: false,
    fields: { requests: { type: 'object', required: false }, limits: { type: 'object', required: false } },
  },
};

export const PROCESS_TYPE_SPEC_FIELDS: FieldTable<ProcessTypeSpec> = {
  description: str,
  requestSchema: { type: 'object', required: true },
  resultSchema: { type: 'object', required: false },
  handler: { type: 'object', required: true, fields: HANDLER_FIELDS },
  timeoutSeconds: int,
  maxPayloadBytes: int,
  estimatedDurationSeconds: int,
  polling: {
    type: 'object',
    required: false,
    fields: {
      firstPollSeconds: int,
      fastIntervalSeconds: int,
      fastPhaseSeconds: int,
      slowIntervalSeconds: int,
      maxTimeoutSeconds: int,
    },
  },
  retry: {
    type: 'object',
    required: false,
    fields: { maxAttempts: int, initialBackoffSeconds: int, maxBackoffSeconds: int },
  },
  queue: { type: 'object', required: false, fields: { maxLength: int, deliveryLimit: int } },
  sensitiveFields: { type: 'array', required: false },
};

export const PROCESS_TYPE_STATUS_FIELDS: FieldTable<ProcessTypeStatus> = {
  conditions: { type: 'array', required: false, items: CONDITION_FIELDS },
  observedGeneration: int,
  queue: str,
  readyReplicas: int,
  handler: str,
};
