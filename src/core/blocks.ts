/**
 * Builders for every kind of block, so the app, the full nodes and the simulation write records
 * one way. Each returns the canonical block bytes, mined and signed.
 *
 * @example
 * const bytes = traceBatchBlock(c, keys, { region, timeSec, epochPub, epoch, day, part: 0, stays, powBits: policy.pow.traceBits });
 * await ledger.add(bytes);
 * @module
 */
import type { CryptoProvider } from './crypto.ts';
import { equal } from './bytes.ts';
import { decodeBlock, Kind, sealBlock, type ParentRef } from './codec/block.ts';
import {
  decodeTraceBatch, decodeWithdrawal, encodeCertificate, encodeCheckpoint, encodeEpochKey, encodeNotification, encodePolicyStatement,
  encodeRevocation, encodeWithdrawal, type CertificateBody, type CheckpointBody, type NotificationBody, type RevocationBody,
} from './codec/records.ts';
import { proveDays, sealCase, sealTraceBatch, type EndorsedDay } from './sealing.ts';
import type { UserKeys } from './keys.ts';
import { Chain, type Day, type Stay } from './types.ts';

interface Common {
  region: number;
  /** Block time, seconds. */
  timeSec: number;
  parents?: ParentRef[];
}

/** A trace batch (one part of one pseudonym-day), signed by the day key. */
export function traceBatchBlock(
  c: CryptoProvider,
  keys: UserKeys,
  a: Common & { day: Day; part: number; stays: Stay[]; epoch: number; epochPub: Uint8Array; powBits: number },
): Uint8Array {
  const body = sealTraceBatch(c, keys, { day: a.day, epoch: a.epoch, epochPub: a.epochPub, part: a.part, stays: a.stays });
  return sealBlock(c, { chain: Chain.TRACING, kind: Kind.TRACE_BATCH, region: a.region, time: a.timeSec, parents: a.parents ?? [], body }, {
    powBits: a.powBits,
    secretKey: keys.daySigning(a.day).secretKey,
  });
}

/** "Forget my records of day d", signed by that day's key. */
export function withdrawalBlock(c: CryptoProvider, keys: UserKeys, a: Common & { day: Day; powBits: number }): Uint8Array {
  const kp = keys.daySigning(a.day);
  const body = encodeWithdrawal({ day: a.day, dayPub: kp.publicKey });
  return sealBlock(c, { chain: Chain.TRACING, kind: Kind.WITHDRAWAL, region: a.region, time: a.timeSec, parents: a.parents ?? [], body }, { powBits: a.powBits, secretKey: kp.secretKey });
}

/**
 * A diagnosis: a certified diagnostician endorses the days a patient proved to own (proofs bound
 * to this diagnostician's key and its challenge), sealed to the epoch key. `ephSecret` is the
 * case's X25519 secret: fresh random bytes by default; the app's clinic passes the consent's
 * `caseSecret` (`checkConsent`, src/core/consent.ts) so the patient recognises the block.
 */
export function diagnosisBlock(
  c: CryptoProvider,
  diagnostician: { secretKey: Uint8Array; publicKey: Uint8Array },
  a: Common & { epoch: number; epochPub: Uint8Array; onset: Day; lookback: number; challenge: Uint8Array; endorsed: EndorsedDay[]; ephSecret?: Uint8Array },
): Uint8Array {
  const body = sealCase(c, { epoch: a.epoch, epochPub: a.epochPub, ephSecret: a.ephSecret ?? c.randomBytes(32), onset: a.onset, lookback: a.lookback, challenge: a.challenge, endorsed: a.endorsed });
  return sealBlock(c, { chain: Chain.TRACING, kind: Kind.DIAGNOSIS, region: a.region, time: a.timeSec, parents: a.parents ?? [], signer: diagnostician.publicKey, body }, {
    powBits: 0,
    secretKey: diagnostician.secretKey,
  });
}

/**
 * An anonymous self-report: proofs bound to the report's own ephemeral key, no signature
 * outside (a public day-key signature would reveal which pseudonym feels ill), proof-of-work.
 */
export function selfReportBlock(
  c: CryptoProvider,
  keys: UserKeys,
  a: Common & { epoch: number; epochPub: Uint8Array; onset: Day; days: Day[]; powBits: number },
): Uint8Array {
  const ephSecret = c.randomBytes(32);
  const ephPub = c.x25519PublicKey(ephSecret);
  const challenge = c.randomBytes(32);
  const endorsed = proveDays(keys, a.days, ephPub, challenge);
  const body = sealCase(c, { epoch: a.epoch, epochPub: a.epochPub, ephSecret, onset: a.onset, lookback: Math.min(255, Math.max(0, a.onset - Math.min(...a.days))), challenge, endorsed });
  return sealBlock(c, { chain: Chain.TRACING, kind: Kind.SELF_REPORT, region: a.region, time: a.timeSec, parents: a.parents ?? [], body }, { powBits: a.powBits });
}

/**
 * Re-issue one of this device's own uploads at a new time: the same record (the same sealed
 * body, so no new encryption and no nonce reuse), a new block time, proof-of-work and signature.
 * A thin node does this when a final checkpoint of the old block's interval left it out
 * (docs/PROTOCOL.md §10.4, src/net/outbox.ts). Trace batches and withdrawals are signed again by
 * their day key, which must be this device's (RangeError otherwise); a self-report is only mined again.
 *
 * @example
 * const fresh = renewBlock(c, keys, old, { timeSec: Math.floor(Date.now() / 1000), powBits: policy.pow.traceBits });
 */
export function renewBlock(c: CryptoProvider, keys: UserKeys, bytes: Uint8Array, a: { timeSec: number; powBits: number }): Uint8Array {
  const b = decodeBlock(bytes);
  if (a.timeSec < b.time) throw new RangeError(`renewBlock: the new time ${a.timeSec} is before the block's ${b.time}`);
  const header = { chain: b.chain, kind: b.kind as never, region: b.region, time: a.timeSec, parents: b.parents, body: b.body };
  if (b.kind === Kind.SELF_REPORT) return sealBlock(c, header, { powBits: a.powBits });
  let day: Day;
  let dayPub: Uint8Array;
  if (b.kind === Kind.TRACE_BATCH) ({ day, dayPub } = decodeTraceBatch(b.body));
  else if (b.kind === Kind.WITHDRAWAL) ({ day, dayPub } = decodeWithdrawal(b.body));
  else throw new TypeError(`renewBlock: a ${b.kind} block is not a device's own upload (trace batch, withdrawal or self-report)`);
  const kp = keys.daySigning(day);
  if (!equal(kp.publicKey, dayPub)) throw new RangeError(`renewBlock: the block was signed by another device's key for day ${day}`);
  return sealBlock(c, header, { powBits: a.powBits, secretKey: kp.secretKey });
}

/** A role key: Ed25519 secret and public key. */
export interface RoleKey {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

function notificationChain(c: CryptoProvider, key: RoleKey, kind: number, body: Uint8Array, a: Common): Uint8Array {
  return sealBlock(c, { chain: Chain.NOTIFICATION, kind: kind as never, region: a.region, time: a.timeSec, parents: a.parents ?? [], signer: key.publicKey, body }, {
    powBits: 0,
    secretKey: key.secretKey,
  });
}

/** A solver's notification: one tag set for one exposure day and level. */
export function notificationBlock(c: CryptoProvider, solver: RoleKey, n: NotificationBody, a: Common): Uint8Array {
  return notificationChain(c, solver, Kind.NOTIFICATION, encodeNotification(n), a);
}
/** CA root: certify a role key. */
export function certificateBlock(c: CryptoProvider, root: RoleKey, cert: CertificateBody, a: Common): Uint8Array {
  return notificationChain(c, root, Kind.CERTIFICATE, encodeCertificate(cert), a);
}
/** CA root: revoke a role key from a time on. */
export function revocationBlock(c: CryptoProvider, root: RoleKey, r: RevocationBody, a: Common): Uint8Array {
  return notificationChain(c, root, Kind.REVOCATION, encodeRevocation(r), a);
}
/** CA root: publish an epoch's X25519 public key. */
export function epochKeyBlock(c: CryptoProvider, root: RoleKey, epoch: number, publicKey: Uint8Array, a: Common): Uint8Array {
  return notificationChain(c, root, Kind.EPOCH_KEY, encodeEpochKey({ epoch, publicKey }), a);
}
/** CA root: publish the policy JSON. */
export function policyBlock(c: CryptoProvider, root: RoleKey, json: string, a: Common): Uint8Array {
  return notificationChain(c, root, Kind.POLICY, encodePolicyStatement(json), a);
}
/** A validator's checkpoint of an interval of either chain (published on the notification chain). */
export function checkpointBlock(c: CryptoProvider, validator: RoleKey, cp: CheckpointBody, a: Common): Uint8Array {
  return notificationChain(c, validator, Kind.CHECKPOINT, encodeCheckpoint(cp), a);
}

/** A fresh role key. @example const root = newRoleKey(c) */
export function newRoleKey(c: CryptoProvider): RoleKey {
  const secretKey = c.randomBytes(32);
  return { secretKey, publicKey: c.ed25519PublicKey(secretKey) };
}
