import { isUtcDay, type RpcReply } from '@stargate/contracts';
import { type Db, MongoServerError } from 'mongodb';

/** One document per slot of SLOT_SIZE sequence numbers of a UTC day, claimed by inserting it. */
export const PROCESS_ID_BLOCKS_COLLECTION = 'process_id_blocks';
/** One insert per block of this size: a loaded FerretDB answers one insert in time, not ten. */
export const SLOT_SIZE = 1000;
const MAX_COUNT = 100_000;
const MAX_ATTEMPTS_PER_SLOT = 50;

interface SlotDoc {
  _id: string;
  day: string;
  slot: number;
  claimedAt: Date;
}

export interface IdRange {
  first: number;
  count: number;
}

export interface ProcessIdBlocks {
  /** At least `count` sequence numbers of `day` (whole slots); no two calls ever get the same number. */
  reserve(day: string, count: number): Promise<IdRange[]>;
}

function isDuplicateKey(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === 11000;
}

/**
 * The private side's store of process-id sequences (`reserve-process-ids` queries). A day's
 * sequence is cut into slots of SLOT_SIZE numbers; a slot belongs to whoever inserts its document
 * first (`_id` = day:slot). Only the uniqueness of `_id` is relied on: FerretDB v1 does not
 * make `$inc` or conditional updates atomic under concurrency, but it does refuse a second
 * insert of the same `_id`. So ids stay unique across gateways, their restarts and the loss
 * of Redis. The documents are tiny and never removed (a removed slot could be claimed again).
 */
export function createProcessIdBlocks(db: Db): ProcessIdBlocks {
  const slots = db.collection<SlotDoc>(PROCESS_ID_BLOCKS_COLLECTION);

  async function highestSlot(day: string): Promise<number> {
    const [top] = await slots.find({ day }).sort({ slot: -1 }).limit(1).toArray();
    return top?.slot ?? -1;
  }

  return {
    async reserve(day, count) {
      const wanted = Math.ceil(count / SLOT_SIZE);
      const ranges: IdRange[] = [];
      let candidate = (await highestSlot(day)) + 1;
      for (let i = 0; i < wanted; i++) {
        for (let attempt = 0; ; attempt++) {
          try {
            await slots.insertOne({
              _id: `${day}:${candidate}`,
              day,
              slot: candidate,
              claimedAt: new Date(),
            });
            break;
          } catch (err) {
            if (!isDuplicateKey(err) || attempt >= MAX_ATTEMPTS_PER_SLOT) throw err;
            // Someone else claimed it: skip ahead to what is free now.
            candidate = Math.max(candidate + 1, (await highestSlot(day)) + 1);
          }
        }
        const first = candidate * SLOT_SIZE + 1;
        const last = ranges.at(-1);
        if (last && last.first + last.count === first) last.count += SLOT_SIZE;
        else ranges.push({ first, count: SLOT_SIZE });
        candidate++;
      }
      return ranges;
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
  if (!isUtcDay(day) || !Number.isInteger(count) || (count as number) < 1 || (count as number) > MAX_COUNT) {
    return {
      ok: false,
      error: {
        code: 'INVALID_REQUEST',
        message: 'day (YYYYMMDD) and count (1…100000) are required',
        retryable: false,
      },
    };
  }
  return { ok: true, kind: 'reserve-process-ids', day, ranges: await blocks.reserve(day, count as number) };
}
