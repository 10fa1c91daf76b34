import type { TenantConfig } from '@stargate/contracts';

/** Who is calling: derived from a verified token and the config in force, never from headers. */
export interface Principal {
  tenant: TenantConfig;
  clientId: string;
  /** Token scopes that the tenant is still granted now. */
  scopes: ReadonlySet<string>;
  tokenId?: string;
}
