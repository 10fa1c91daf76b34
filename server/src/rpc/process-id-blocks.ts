import { isUtcDay, type RpcReply } from '@stargate/contracts';
import type { Db } from 'mongodb';

/** One document per UTC day: the last sequence number handed out in a block. */
export const PROCESS_ID_BLOCKS_COLLECTION = 'process_id_blocks';
const MAX_BLOCK = 100_000;

interface BlockDoc {
  _id: string;
  last: number;
}

export interface ProcessIdBlocks {
  /** Reserves `count` sequence numbers of `day`; no two calls ever get the same number. */
  reserve(day: string, count: number): Promise<{ first: number; count: number }>;
}

/**
 * The private side's store of process-id sequences (`reserve-process-ids` queries): an atomic
 * `$inc` per day in MongoDB, so ids stay unique across gateways, their restarts and the loss
 * of Redis. Uses only findOneAndUpdate with upsert, which FerretDB v1 supports. The documents
 * are a few bytes per day and are never removed (a removed day could hand out numbers again).
 */
export function createProcessIdBlocks(db: Db): ProcessIdBlocks {
  const blocks = db.collection<BlockDoc>(PROCESS_ID_BLOCKS_COLLECTION);
  return {
    async reserve(day, count) {
      const doc = await blocks.findOneAndUpdate(
        { _id: day },
        { $inc: { last: count } },
        { upsert: true, returnDocument: 'after' },
      );
      if (!doc) throw new Error('process id block not reserved');
      return { first: doc.last - count + 1, count };
    },
  };
}

export function isReserveQuery(
  body: unknown,
): body is { kind: 'reserve-process-ids'; day: unknown; count: unknown } {
  return (
    typeof body === 'object' && body !== null && (body as { kind?: unknown }).kind === 'reserve-process-ids'
  );
}

/** Answers a `reserve-process-ids` query. */
export async function answerReserve(
  blocks: ProcessIdBlocks,
  body: { day: unknown; count: unknown },
): Promise<RpcReply> {
  const { day, count } = body;
  if (!isUtcDay(day) || !Number.isInteger(count) || (count as number) < 1 || (count as number) > MAX_BLOCK) {
    return {
      ok: false,
      error: {
        code: 'INVALID_REQUEST',
        message: 'day (YYYYMMDD) and count (1…100000) are required',
        retryable: false,
      },
    };
  }
  const block = await blocks.reserve(day, count as number);
  return { ok: true, kind: 'reserve-process-ids', day, ...block };
}
