import { formatProcessId, nextUtcDayStart, type RpcReply, utcDay } from '@stargate/contracts';

export type ReserveBlock = (day: string, count: number) => Promise<{ first: number; count: number }[]>;

export interface ProcessIdAllocatorOptions {
  /** Reserves a block of sequence numbers on the private side (`reserve-process-ids`). */
  reserve: ReserveBlock;
  now: () => number;
  /** First block size; it doubles while blocks last less than a minute, up to maxBlockSize. */
  blockSize?: number;
  maxBlockSize?: number;
  /** Tomorrow's first block is reserved this long before midnight (UTC). */
  prefetchBeforeMidnightMs?: number;
  /** How long a submit may wait for a block when none is held (reservations are retried). */
  waitMs?: number;
  onError?: (err: Error) => void;
}

export interface ProcessIdAllocator {
  /** A new process id: from the local block, or (when it is used up) after reserving the next. */
  next(): Promise<string>;
  /** Reserves today's first block in the background (at start-up). */
  warm(): void;
  /** Numbers still held locally for `day` (tests, metrics). */
  available(day: string): number;
}

export class ProcessIdsUnavailableError extends Error {
  constructor(cause: unknown) {
    super('no process id could be reserved', { cause });
    this.name = 'ProcessIdsUnavailableError';
  }
}

interface Range {
  next: number;
  end: number;
}

const FAST_BLOCK_MS = 60_000;

/**
 * Hands out `PROC-YYYYMMDD-NNNNN` ids from blocks of sequence numbers the server reserves in
 * MongoDB, so ids are unique across gateways, restarts and the loss of Redis, while a submit
 * normally costs no round trip: the next block is reserved in the background when half of the
 * current one is used, and tomorrow's before midnight. Numbers left in a block when a gateway
 * stops are never used (gaps, never repeats).
 */
export function createProcessIdAllocator(options: ProcessIdAllocatorOptions): ProcessIdAllocator {
  // The server hands out whole slots of 1000 (server/src/rpc/process-id-blocks.ts).
  const minBlock = options.blockSize ?? 1000;
  const maxBlock = Math.max(minBlock, options.maxBlockSize ?? 10_000);
  const prefetchMs = options.prefetchBeforeMidnightMs ?? 5 * 60_000;
  const waitMs = options.waitMs ?? 10_000;
  const ranges = new Map<string, Range[]>();
  const refills = new Map<string, Promise<void>>();
  let blockSize = minBlock;
  let lastRefillAt: number | undefined;

  const remaining = (day: string) => (ranges.get(day) ?? []).reduce((n, r) => n + (r.end - r.next + 1), 0);

  function take(day: string): string | undefined {
    const list = ranges.get(day);
    while (list && list.length > 0) {
      const r = list[0]!;
      if (r.next <= r.end) return formatProcessId(day, r.next++);
      list.shift();
    }
    return undefined;
  }

  function refill(day: string): Promise<void> {
    const running = refills.get(day);
    if (running) return running;
    const at = options.now();
    if (lastRefillAt !== undefined) {
      if (at - lastRefillAt < FAST_BLOCK_MS) blockSize = Math.min(maxBlock, blockSize * 2);
      else if (at - lastRefillAt > 10 * FAST_BLOCK_MS)
        blockSize = Math.max(minBlock, Math.floor(blockSize / 2));
    }
    lastRefillAt = at;
    const done = options
      .reserve(day, blockSize)
      .then((blocks) => {
        const list = ranges.get(day) ?? [];
        for (const b of blocks) list.push({ next: b.first, end: b.first + b.count - 1 });
        ranges.set(day, list);
      })
      .finally(() => refills.delete(day));
    refills.set(day, done);
    return done;
  }

  function background(day: string): void {
    refill(day).catch((err: Error) => options.onError?.(err));
  }

  function housekeeping(now: number, day: string): void {
    for (const d of ranges.keys()) if (d < day) ranges.delete(d);
    // A whole spare block ahead, so a slow reservation (a loaded server) never leaves a submit waiting.
    if (remaining(day) < blockSize) background(day);
    const tomorrowStart = nextUtcDayStart(now);
    if (tomorrowStart - now <= prefetchMs) {
      const tomorrow = utcDay(tomorrowStart);
      if (remaining(tomorrow) === 0) background(tomorrow);
    }
  }

  return {
    async next() {
      const deadline = Date.now() + waitMs;
      let lastError: unknown = new Error('blocks used up while waiting');
      for (let attempt = 0; ; attempt++) {
        const now = options.now();
        const day = utcDay(now);
        const id = take(day);
        housekeeping(now, day);
        if (id) return id;
        if (Date.now() >= deadline) throw new ProcessIdsUnavailableError(lastError);
        try {
          await refill(day);
        } catch (err) {
          lastError = err;
          if (Date.now() >= deadline) throw new ProcessIdsUnavailableError(err);
          await new Promise((r) => setTimeout(r, Math.min(1000, 100 * 2 ** attempt)));
        }
      }
    },
    warm() {
      // Retried until it succeeds: a gateway usually starts before its RPC channel is ready.
      const attempt = (n: number) => {
        const now = options.now();
        const day = utcDay(now);
        if (remaining(day) > 0) return;
        refill(day).catch((err: Error) => {
          options.onError?.(err);
          if (n < 30) setTimeout(() => attempt(n + 1), Math.min(5000, 200 * 2 ** n)).unref();
        });
      };
      attempt(0);
    },
    available: remaining,
  };
}

/** `reserve` over the gateway's RPC client. */
export function reserveOverRpc(
  call: (request: { kind: 'reserve-process-ids'; day: string; count: number }) => Promise<RpcReply>,
): ReserveBlock {
  return async (day, count) => {
    const reply = await call({ kind: 'reserve-process-ids', day, count });
    if (!reply.ok) throw new Error(`reserve-process-ids refused: ${reply.error.code} ${reply.error.message}`);
    const valid = (r: { first: number; count: number }) =>
      Number.isSafeInteger(r.first) && r.first >= 1 && Number.isSafeInteger(r.count) && r.count >= 1;
    if (
      reply.kind !== 'reserve-process-ids' ||
      reply.day !== day ||
      !Array.isArray(reply.ranges) ||
      reply.ranges.length === 0 ||
      !reply.ranges.every(valid)
    )
      throw new Error('unexpected answer to reserve-process-ids');
    return reply.ranges;
  };
}
