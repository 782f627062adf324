/**
 * Acceptance rules (docs/PROTOCOL.md §Acceptance), checked by every node before it stores or
 * forwards a block. One implementation, used by browsers and full nodes alike. Each failed rule
 * throws RejectError with a stable code:
 *
 *   region          block is for another region than this ledger's
 *   future          time is beyond now + maxSkewSeconds
 *   expired         time is older than the retention window
 *   parent_time     a parent claims a time after the block's own
 *   pow             proof-of-work below the lowest bits any known policy asks for this kind
 *   bad_signature   signature does not verify
 *   unauthorized    signer is not the CA root / not certified for the role, region and time
 *                   (a revocation does not refuse a block: it decides whether it counts, standing.ts)
 *   bad_body        the body does not decode (the CodecError is in the message)
 *   day_range       trace batch or withdrawal for a day outside [horizon day, day of block time]
 *   unknown_epoch   sealed to an epoch the CA has not published
 *
 * @example
 * checkBlock(c, block, { authority, region: 1, nowSec, chainCarried })
 * @module
 */
import type { CryptoProvider } from '../crypto.ts';
import { equal } from '../bytes.ts';
import { CodecError, RejectError } from '../errors.ts';
import { Kind, KIND_NAME, powBitsOf, signedMessage, type Block } from '../codec/block.ts';
import {
  decodeCase, decodeCertificate, decodeCheckpoint, decodeEpochKey, decodeNotification, decodePolicyStatement, decodeRevocation,
  decodeTraceBatch, decodeWithdrawal, Role, type RoleCode,
} from '../codec/records.ts';
import { epochOf, parsePolicy, type Policy } from '../policy.ts';
import { decodeTagSet } from '../tagset.ts';
import type { AuthorityState } from './authority.ts';

export interface RuleContext {
  authority: AuthorityState;
  region: number;
  /** Current time, seconds. */
  nowSec: number;
}

const ROLE_OF: Partial<Record<number, RoleCode>> = {
  [Kind.DIAGNOSIS]: Role.DIAGNOSTICIAN,
  [Kind.NOTIFICATION]: Role.SOLVER,
  [Kind.CHECKPOINT]: Role.VALIDATOR,
};

function body<T>(decode: () => T, kind: number): T {
  try {
    return decode();
  } catch (e) {
    if (e instanceof CodecError) throw new RejectError('bad_body', `${KIND_NAME[kind]} body: ${e.message}`);
    throw e;
  }
}

/** Proof-of-work bits a policy asks of a kind (0 for role-signed kinds). @example powBitsFor(p.pow, Kind.TRACE_BATCH) === 8 */
export function powBitsFor(pow: Policy['pow'], kind: number): number {
  return kind === Kind.TRACE_BATCH ? pow.traceBits : kind === Kind.SELF_REPORT ? pow.selfReportBits : kind === Kind.WITHDRAWAL ? pow.withdrawalBits : 0;
}

/** Horizon: the oldest block time (seconds) still inside the retention window. */
export function horizonSec(retentionDays: number, nowSec: number): number {
  return nowSec - retentionDays * 86_400;
}

/**
 * Check every rule that does not need other blocks (parents' presence is the ledger's job).
 * Returns the signer's public key (undefined for anonymous kinds).
 */
export function checkBlock(c: CryptoProvider, b: Block, ctx: RuleContext): Uint8Array | undefined {
  const p = ctx.authority.policy;
  if (b.region !== ctx.region) throw new RejectError('region', `block for region ${b.region}, this ledger carries region ${ctx.region}`);
  if (b.time > ctx.nowSec + p.maxSkewSeconds) throw new RejectError('future', `block time ${b.time} is ${b.time - ctx.nowSec} s in the future`);
  const horizon = horizonSec(p.retentionDays, ctx.nowSec);
  if (b.time < horizon) throw new RejectError('expired', `block time ${b.time} is older than the ${p.retentionDays}-day retention window`);
  for (const par of b.parents) if (par.time > b.time) throw new RejectError('parent_time', 'a parent claims a time after the block');

  // The floor of every known policy: a block between it and the policy in force at its time is
  // stored and does not count (standing.ts), so a POLICY arriving late never un-stores a block.
  const needBits = powBitsFor(ctx.authority.powFloor(), b.kind);
  if (needBits > 0 && powBitsOf(c, b) < needBits) throw new RejectError('pow', `${KIND_NAME[b.kind]} needs ${needBits} bits of proof-of-work`);

  // Who signs, and may they?
  let signer: Uint8Array | undefined;
  const day = Math.floor(b.time / 86_400);
  const horizonDay = Math.floor(horizon / 86_400);
  switch (b.kind) {
    case Kind.TRACE_BATCH: {
      const t = body(() => decodeTraceBatch(b.body), b.kind);
      if (t.day > day || t.day < horizonDay) throw new RejectError('day_range', `trace batch for day ${t.day} in a block of day ${day}`);
      // any known policy's numbering is stored; the one in force at the block's time decides whether it counts
      if (!ctx.authority.epochsOf(t.day).includes(t.epoch)) throw new RejectError('unknown_epoch', `day ${t.day} belongs to epoch ${epochOf(p, t.day)}, not ${t.epoch}`);
      if (!ctx.authority.epochKey(t.epoch)) throw new RejectError('unknown_epoch', `no epoch key published for epoch ${t.epoch}`);
      signer = t.dayPub;
      break;
    }
    case Kind.WITHDRAWAL: {
      const w = body(() => decodeWithdrawal(b.body), b.kind);
      if (w.day > day || w.day < horizonDay) throw new RejectError('day_range', `withdrawal for day ${w.day} in a block of day ${day}`);
      signer = w.dayPub;
      break;
    }
    case Kind.DIAGNOSIS:
    case Kind.SELF_REPORT: {
      const k = body(() => decodeCase(b.body, KIND_NAME[b.kind]), b.kind);
      if (!ctx.authority.epochKey(k.epoch)) throw new RejectError('unknown_epoch', `no epoch key published for epoch ${k.epoch}`);
      signer = b.signer;
      break;
    }
    case Kind.NOTIFICATION: {
      const n = body(() => decodeNotification(b.body), b.kind);
      body(() => decodeTagSet(n.n, n.P, n.data), b.kind);
      signer = b.signer;
      break;
    }
    case Kind.CHECKPOINT: {
      const cp = body(() => decodeCheckpoint(b.body), b.kind);
      // an interval must be over before it is checkpointed; this also orders checkpoints that
      // vouch for each other (standing.ts), so the rule that uses them is well founded
      if (cp.toTime > b.time) throw new RejectError('bad_body', `checkpoint of an interval ending at ${cp.toTime}, after its block time ${b.time}`);
      signer = b.signer;
      break;
    }
    case Kind.CERTIFICATE:
      body(() => decodeCertificate(b.body), b.kind);
      signer = b.signer;
      break;
    case Kind.REVOCATION:
      body(() => decodeRevocation(b.body), b.kind);
      signer = b.signer;
      break;
    case Kind.EPOCH_KEY: {
      // A second, different key for an epoch is accepted like any CA statement; the authority state
      // uses the statement first in (time, id) order, so every node ends with the same key whatever
      // the arrival order (issue 9 finding 9: "first to arrive wins" split the ledger for good).
      body(() => decodeEpochKey(b.body), b.kind);
      signer = b.signer;
      break;
    }
    case Kind.POLICY:
      body(() => {
        try {
          return parsePolicy(decodePolicyStatement(b.body));
        } catch (e) {
          throw new CodecError('bad_policy', (e as Error).message);
        }
      }, b.kind);
      signer = b.signer;
      break;
    default:
      throw new RejectError('bad_body', `kind ${b.kind} unknown`);
  }

  if (b.kind === Kind.SELF_REPORT) return undefined;
  if (!signer || !b.signature || !c.ed25519Verify(signer, signedMessage(b), b.signature)) {
    throw new RejectError('bad_signature', `${KIND_NAME[b.kind]} signature does not verify`);
  }
  if (b.kind === Kind.CERTIFICATE || b.kind === Kind.REVOCATION || b.kind === Kind.EPOCH_KEY || b.kind === Kind.POLICY) {
    if (!equal(signer, ctx.authority.rootKey)) throw new RejectError('unauthorized', `${KIND_NAME[b.kind]} must be signed by the CA root`);
  } else {
    const role = ROLE_OF[b.kind];
    if (role !== undefined) {
      const why = ctx.authority.whyUncertified(signer, role, b.region, b.time);
      if (why) throw new RejectError('unauthorized', `${KIND_NAME[b.kind]} signer: ${why}`);
    }
  }
  return signer;
}
