/** Labels and annotations the operator puts on what it creates, so it can find and clean them up. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'stargate-operator';
export const COMPONENT_LABEL = 'app.kubernetes.io/component';
export const NAME_LABEL = 'app.kubernetes.io/name';
export const INSTANCE_LABEL = 'app.kubernetes.io/instance';
export const TENANT_LABEL = 'stargate.io/tenant';
export const PROCESS_TYPE_LABEL = 'stargate.io/process-type';
/** Cross-namespace children cannot carry owner references: these labels name their owner. */
export const OWNER_NAMESPACE_LABEL = 'stargate.io/owner-namespace';
export const OWNER_UID_LABEL = 'stargate.io/owner-uid';
export const ROTATION_ANNOTATION = 'stargate.io/rotation-token';
export const CONFIG_HASH_ANNOTATION = 'stargate.io/config-hash';
/** On handler pod templates: changes with the encryption key list, so a rotation rolls the pods. */
export const ENCRYPTION_KEYS_HASH_ANNOTATION = 'stargate.io/encryption-keys-hash';
export const FIELD_MANAGER = 'stargate-operator';
