/**
 * The device's own flows (DESIGN §5, docs/PROTOCOL.md §Records), used by the app's engine and by
 * the simulator alike, so both write the same records the same way:
 *
 * - a day's stays → parts of at most the largest bucket (`BUCKETS`) → sealed trace batches, with
 *   the epoch key and proof-of-work bits the authority published;
 * - a self-report; a withdrawal; possession proofs for a diagnostician's challenge.
 *
 * Part numbers are the AEAD nonce of a pseudonym-day (docs/PROTOCOL.md Appendix A item 7: never
 * reuse one). The caller owns the counter: it asks `partsFor` how many parts the stays need,
 * persists `firstPart + count` as the day's next part number, and only then seals with
 * `traceBatches` — so a crash between the two burns numbers but never reuses one.
 *
 * Pure: no DOM, no Node, no I/O.
 *
 * @example
 * const { epoch, epochPub, pow } = sealingParams(ledger.authority, day);
 * const n = partsFor(stays.length);
 * await persistNextPart(day, next + n);            // before sealing
 * const { blocks, parts } = traceBatches(c, keys, { region, timeSec, day, stays, firstPart: next, epoch, epochPub, powBits: pow.traceBits });
 * @module
 */
import type { CryptoProvider } from './crypto.ts';
import { selfReportBlock, traceBatchBlock, withdrawalBlock } from './blocks.ts';
import { BUCKETS } from './codec/records.ts';
import { proveDays, type EndorsedDay } from './sealing.ts';
import { epochOf, type Policy } from './policy.ts';
import type { AuthorityState } from './ledger/authority.ts';
import type { UserKeys } from './keys.ts';
import type { ParentRef } from './codec/block.ts';
import type { Day, Stay } from './types.ts';

/** Most stays in one part (the largest bucket). @example MAX_PART_STAYS === BUCKETS.at(-1) */
export const MAX_PART_STAYS = BUCKETS[BUCKETS.length - 1];
/** Part numbers are one byte (the first byte of the AEAD nonce): 0..255 per pseudonym-day. @example MAX_PART === 255 */
export const MAX_PART = 255;

/** What sealing a day needs from the authority: the epoch, its public key and the policy's proof-of-work. @example sealingParams(ledger.authority, day).pow.traceBits */
export interface SealingParams {
  epoch: number;
  epochPub: Uint8Array;
  pow: Policy['pow'];
}

/** A device flow could not run: no epoch key for the day yet, or the day ran out of part numbers. @example if (e instanceof DeviceError && e.code === 'no_epoch_key') retryLater() */
export class DeviceError extends Error {
  constructor(
    readonly code: 'no_epoch_key' | 'parts_exhausted',
    message: string,
  ) {
    super(message);
    this.name = 'DeviceError';
  }
}

/**
 * The epoch of `day` and its published key, and the policy's proof-of-work bits. Throws
 * DeviceError('no_epoch_key') if the CA has not published that epoch's key (yet).
 * @example const { epoch, epochPub, pow } = sealingParams(ledger.authority, day)
 */
export function sealingParams(authority: AuthorityState, day: Day): SealingParams {
  const epoch = epochOf(authority.policy, day);
  const epochPub = authority.epochKey(epoch);
  if (!epochPub) throw new DeviceError('no_epoch_key', `no epoch key published for epoch ${epoch} (day ${day}) yet`);
  return { epoch, epochPub, pow: authority.policy.pow };
}

/**
 * How many parts `stayCount` stays need: one per `MAX_PART_STAYS`, and one (empty) part for a day
 * without stays — an empty batch says "recorded, nothing to report" like any other.
 * @example partsFor(0) === 1; partsFor(MAX_PART_STAYS + 1) === 2
 */
export function partsFor(stayCount: number): number {
  if (!Number.isInteger(stayCount) || stayCount < 0) throw new RangeError(`partsFor: stay count must be a whole number ≥ 0, got ${stayCount}`);
  return Math.max(1, Math.ceil(stayCount / MAX_PART_STAYS));
}

/** Arguments of `traceBatches`. @example { region: 1, timeSec, day, stays, firstPart: 0, epoch, epochPub, powBits: 8 } */
export interface TraceBatchesArgs {
  region: number;
  /** Block time, seconds. */
  timeSec: number;
  day: Day;
  /** The day's stays to seal, in time order; all within `day`. */
  stays: Stay[];
  /** First part number to use; the caller persisted `firstPart + partsFor(stays.length)` before. */
  firstPart: number;
  epoch: number;
  epochPub: Uint8Array;
  powBits: number;
  parents?: ParentRef[];
}

/**
 * Seal a day's stays into trace batches, one per part, numbered from `firstPart`. Returns the
 * blocks and the part numbers used (`firstPart … firstPart + partsFor(n) − 1`). Throws
 * DeviceError('parts_exhausted') before sealing anything if a part number would pass 255.
 * @example const { blocks, parts } = traceBatches(c, keys, { region: 1, timeSec, day, stays, firstPart: 0, epoch, epochPub, powBits: 8 })
 */
export function traceBatches(c: CryptoProvider, keys: UserKeys, a: TraceBatchesArgs): { blocks: Uint8Array[]; parts: number[] } {
  if (!Number.isInteger(a.firstPart) || a.firstPart < 0) throw new RangeError(`traceBatches: firstPart must be a whole number ≥ 0, got ${a.firstPart}`);
  const n = partsFor(a.stays.length);
  if (a.firstPart + n - 1 > MAX_PART) {
    throw new DeviceError('parts_exhausted', `day ${a.day} has used part numbers up to ${a.firstPart - 1}; ${n} more would pass ${MAX_PART}`);
  }
  const blocks: Uint8Array[] = [];
  const parts: number[] = [];
  for (let i = 0; i < n; i++) {
    const part = a.firstPart + i;
    blocks.push(traceBatchBlock(c, keys, {
      region: a.region, timeSec: a.timeSec, parents: a.parents ?? [], day: a.day, part,
      stays: a.stays.slice(i * MAX_PART_STAYS, (i + 1) * MAX_PART_STAYS), epoch: a.epoch, epochPub: a.epochPub, powBits: a.powBits,
    }));
    parts.push(part);
  }
  return { blocks, parts };
}

/**
 * "Forget my records of day d", signed by that day's key (the solver drops the day's batches).
 * @example withdrawal(c, keys, { region: 1, timeSec, day, powBits: pow.withdrawalBits })
 */
export function withdrawal(c: CryptoProvider, keys: UserKeys, a: { region: number; timeSec: number; day: Day; powBits: number; parents?: ParentRef[] }): Uint8Array {
  return withdrawalBlock(c, keys, { region: a.region, timeSec: a.timeSec, parents: a.parents ?? [], day: a.day, powBits: a.powBits });
}

/**
 * An anonymous self-report of `days`, sealed to the epoch key (proofs bound to the report's own
 * ephemeral key).
 * @example selfReport(c, keys, { region: 1, timeSec, onset, days, epoch, epochPub, powBits: pow.selfReportBits })
 */
export function selfReport(
  c: CryptoProvider,
  keys: UserKeys,
  a: { region: number; timeSec: number; onset: Day; days: Day[]; epoch: number; epochPub: Uint8Array; powBits: number; parents?: ParentRef[] },
): Uint8Array {
  return selfReportBlock(c, keys, { region: a.region, timeSec: a.timeSec, parents: a.parents ?? [], epoch: a.epoch, epochPub: a.epochPub, onset: a.onset, days: a.days, powBits: a.powBits });
}

/**
 * The days a patient proves for a diagnosis: from `lookback` days before onset (but not before
 * the retention window) through today.
 * @example diagnosisDays(today, onset, policy.lookbackDays, policy.retentionDays)
 */
export function diagnosisDays(today: Day, onset: Day, lookback: number, retentionDays: number): Day[] {
  const from = Math.max(onset - lookback, today - retentionDays + 1);
  const days: Day[] = [];
  for (let d = from; d <= today; d++) days.push(d);
  return days;
}

/**
 * Answer a diagnostician's challenge: one possession proof per day, bound to the diagnostician's
 * public key and the challenge (a proof made for one clinic cannot be replayed in another).
 * @example const endorsed = possessionProofs(keys, diagnosisDays(today, onset, 14, 14), clinicPub, challenge)
 */
export function possessionProofs(keys: UserKeys, days: Day[], diagnosticianPub: Uint8Array, challenge: Uint8Array): EndorsedDay[] {
  return proveDays(keys, days, diagnosticianPub, challenge);
}
