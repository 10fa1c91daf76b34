/**
 * How many long polls each tenant may hold at once on this gateway instance. A poll over the
 * cap is not refused: it is answered at once with the current state, without
 * `Preference-Applied` (RFC 7240: a preference the server did not honour is simply not
 * echoed), so clients keep working and only lose the wait.
 */

/** Default cap of concurrently held long polls per tenant and gateway instance. */
export const DEFAULT_LONG_POLLS_PER_TENANT = 200;

export interface LongPollSlots {
  /** A slot for one held poll, or undefined when the tenant holds its cap; call the result once to give it back. */
  acquire(tenantId: string): (() => void) | undefined;
  /** Polls the tenant holds now. */
  held(tenantId: string): number;
}

export function createLongPollSlots(maxPerTenant: number): LongPollSlots {
  const held = new Map<string, number>();
  return {
    acquire(tenantId) {
      const count = held.get(tenantId) ?? 0;
      if (count >= maxPerTenant) return undefined;
      held.set(tenantId, count + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (held.get(tenantId) ?? 1) - 1;
        if (left > 0) held.set(tenantId, left);
        else held.delete(tenantId);
      };
    },
    held: (tenantId) => held.get(tenantId) ?? 0,
  };
}
