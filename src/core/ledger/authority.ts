/**
 * Authority state: what the CA root has said on the notification chain — certificates,
 * revocations, epoch public keys, the policy (docs/PROTOCOL.md §Authority). Every node derives
 * the same state from the same blocks, whatever order they arrived in.
 *
 * @example
 * const a = new AuthorityState(rootPub);
 * a.apply(block); // a CA statement
 * a.whyNotAuthorized(signer, Role.SOLVER, region, timeSec) // null: a certificate covers it
 * a.policyAt(block.time)                                  // the policy in force at a block's time
 *
 * Revocations do not change what is *stored* (that would depend on whether a node saw the
 * revocation before the block); they decide whether a stored statement *counts*
 * (src/core/ledger/standing.ts, docs/PROTOCOL.md §9.1).
 * @module
 */
import { toHex, compare } from '../bytes.ts';
import { Kind, type Block } from '../codec/block.ts';
import {
  ANY_REGION, decodeCertificate, decodeEpochKey, decodePolicyStatement, decodeRevocation, type CertificateBody, type RoleCode,
} from '../codec/records.ts';
import { DEFAULT_POLICY, parsePolicy, type Policy } from '../policy.ts';

export class AuthorityState {
  private certs = new Map<string, CertificateBody[]>();
  private revoked = new Map<string, number>();
  /** Per epoch, the key of the statement first in (time, id) order: the same on every node, whatever the arrival order. */
  private epochs = new Map<number, { key: Uint8Array; time: number; id: Uint8Array }>();
  /** Every POLICY statement, in (time, id) order. */
  private policies: { time: number; id: Uint8Array; policy: Policy }[] = [];
  /** The policy in force now: the newest POLICY by (time, id), the default before any. */
  policy: Policy = DEFAULT_POLICY;
  /** Lowest proof-of-work bits of the default and every POLICY statement (the acceptance floor). */
  private floor = { ...DEFAULT_POLICY.pow };

  constructor(readonly rootKey: Uint8Array) {}

  /** Is this a CA statement kind? */
  static isStatement(kind: number): boolean {
    return kind === Kind.CERTIFICATE || kind === Kind.REVOCATION || kind === Kind.EPOCH_KEY || kind === Kind.POLICY;
  }

  /** Apply an accepted CA statement block. `id` orders policies of equal time. */
  apply(b: Block, id: Uint8Array): void {
    switch (b.kind) {
      case Kind.CERTIFICATE: {
        const cert = decodeCertificate(b.body);
        const k = toHex(cert.subject);
        const list = this.certs.get(k) ?? [];
        if (!list.some((c) => compare(c.serial, cert.serial) === 0)) list.push(cert);
        this.certs.set(k, list);
        break;
      }
      case Kind.REVOCATION: {
        const r = decodeRevocation(b.body);
        const k = toHex(r.subject);
        this.revoked.set(k, Math.min(this.revoked.get(k) ?? Infinity, r.revokedAt));
        break;
      }
      case Kind.EPOCH_KEY: {
        const e = decodeEpochKey(b.body);
        const old = this.epochs.get(e.epoch);
        if (!old || b.time < old.time || (b.time === old.time && compare(id, old.id) < 0)) this.epochs.set(e.epoch, { key: e.publicKey.slice(), time: b.time, id: id.slice() });
        break;
      }
      case Kind.POLICY: {
        if (this.policies.some((p) => compare(p.id, id) === 0)) break;
        const policy = parsePolicy(decodePolicyStatement(b.body));
        this.policies.push({ time: b.time, id: id.slice(), policy });
        this.policies.sort((x, y) => x.time - y.time || compare(x.id, y.id));
        this.policy = this.policies[this.policies.length - 1].policy;
        for (const k of ['traceBits', 'selfReportBits', 'withdrawalBits'] as const) this.floor[k] = Math.min(this.floor[k], policy.pow[k]);
        break;
      }
    }
  }

  /**
   * The policy in force at `timeSec` (a block's declared time): the newest POLICY statement by
   * (time, id) with time ≤ timeSec; before the oldest one held, the oldest one (older statements
   * may have been pruned: the CA refreshes its policy each retention window); the default if none.
   * @example a.policyAt(b.time).pow.traceBits
   */
  policyAt(timeSec: number): Policy {
    const ps = this.policies;
    if (!ps.length) return DEFAULT_POLICY;
    let lo = 0;
    let hi = ps.length - 1;
    if (ps[0].time > timeSec) return ps[0].policy;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ps[mid].time <= timeSec) lo = mid;
      else hi = mid - 1;
    }
    return ps[lo].policy;
  }

  /**
   * Proof-of-work floor: the lowest bits any known policy (or the default) asks of each kind. A
   * block below it is refused; between it and the policy in force at the block's time it is stored
   * but does not count — so that a POLICY arriving late never un-stores a block (§9.1).
   * @example a.powFloor().traceBits
   */
  powFloor(): Policy['pow'] {
    return this.floor;
  }

  /**
   * Every epoch number that the default or some known policy gives `day` (acceptance takes any;
   * counting takes the policy in force at the block's time).
   * @example a.epochsOf(20514).includes(2930)
   */
  epochsOf(day: number): number[] {
    const out = new Set<number>([Math.floor(day / DEFAULT_POLICY.epochDays)]);
    for (const p of this.policies) out.add(Math.floor(day / p.policy.epochDays));
    return [...out];
  }

  /** The epoch public key, if the CA published one. */
  epochKey(epoch: number): Uint8Array | undefined {
    return this.epochs.get(epoch)?.key;
  }
  /** A conflicting epoch key (same epoch, other key) is rejected by the rules. */
  hasEpoch(epoch: number): boolean {
    return this.epochs.has(epoch);
  }

  /** Revocation time of a key (seconds), or undefined. */
  revokedAt(subject: Uint8Array): number | undefined {
    return this.revoked.get(toHex(subject));
  }

  /**
   * Why `signer` may not act as `role` in `region` at `time` (seconds) — no certificate, or
   * revoked from then on — or null if it may. For a key deciding whether to sign now; the ledger
   * stores by `whyUncertified` and judges revocations by standing (docs/PROTOCOL.md §9.1).
   * @example a.whyNotAuthorized(pub, Role.SOLVER, 1, nowSec) === null
   */
  whyNotAuthorized(signer: Uint8Array, role: RoleCode, region: number, time: number): string | null {
    const why = this.whyUncertified(signer, role, region, time);
    if (why) return why;
    const rev = this.revokedAt(signer);
    if (rev !== undefined && time >= rev) return `certificate revoked at ${new Date(rev * 1000).toISOString()}`;
    return null;
  }

  /**
   * Why no certificate lets `signer` act as `role` in `region` at `time` (seconds), or null if one
   * does. Revocations are not looked at here: they decide whether a stored statement counts
   * (`whyVoid` in standing.ts), never whether it is stored.
   * @example a.whyUncertified(pub, Role.DIAGNOSTICIAN, 1, t) === null
   */
  whyUncertified(signer: Uint8Array, role: RoleCode, region: number, time: number): string | null {
    const list = this.certs.get(toHex(signer));
    if (!list) return 'no certificate for this key';
    const ok = list.filter((c) => c.role === role && (c.region === ANY_REGION || c.region === region));
    if (!ok.length) return 'certificate is for another role or region';
    if (!ok.some((c) => c.notBefore <= time && time < c.notAfter)) return 'certificate not valid at this time';
    return null;
  }

  /**
   * The end (notAfter, seconds) of the certificate that lets `signer` act as `role` in `region`
   * at `time` and lasts longest, or undefined if none does (revocations not looked at). For a
   * node's renewal warning and its metrics.
   * @example a.certifiedUntil(pub, Role.SOLVER, 1, nowSec) // 1798761600
   */
  certifiedUntil(signer: Uint8Array, role: RoleCode, region: number, time: number): number | undefined {
    let until: number | undefined;
    for (const c of this.certs.get(toHex(signer)) ?? []) {
      if (c.role === role && (c.region === ANY_REGION || c.region === region) && c.notBefore <= time && time < c.notAfter) until = Math.max(until ?? 0, c.notAfter);
    }
    return until;
  }

  /**
   * Standing statements to re-publish so they outlive retention pruning (docs/PROTOCOL.md
   * §Authority): certificates still valid at `timeSec`, every revocation, and epoch keys of
   * epochs that may still hold records.
   */
  standing(timeSec: number, fromEpoch: number): { certificates: CertificateBody[]; revocations: { subject: Uint8Array; revokedAt: number }[]; epochs: { epoch: number; publicKey: Uint8Array }[] } {
    const certificates: CertificateBody[] = [];
    for (const list of this.certs.values()) for (const c of list) if (c.notAfter > timeSec) certificates.push(c);
    const revocations = [...this.revoked].map(([hex, revokedAt]) => ({ subject: hexBytes(hex), revokedAt }));
    const epochs = [...this.epochs].filter(([e]) => e >= fromEpoch).map(([epoch, s]) => ({ epoch, publicKey: s.key }));
    return { certificates, revocations, epochs };
  }

  /** Certified keys of a role (for the solver and UI). */
  subjects(role: RoleCode): { subject: Uint8Array; name: string }[] {
    const out: { subject: Uint8Array; name: string }[] = [];
    for (const list of this.certs.values()) for (const c of list) if (c.role === role) out.push({ subject: c.subject, name: c.name });
    return out;
  }
}

function hexBytes(h: string): Uint8Array {
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}
