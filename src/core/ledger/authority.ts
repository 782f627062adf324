/**
 * Authority state: what the CA root has said on the notification chain — certificates,
 * revocations, epoch public keys, the policy (docs/PROTOCOL.md §Authority). Every node derives
 * the same state from the same blocks, whatever order they arrived in.
 *
 * @example
 * const a = new AuthorityState(rootPub);
 * a.apply(block); // a CA statement
 * a.isAuthorized(signer, Role.SOLVER, region, timeSec)
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
  private policyAt: { time: number; id: Uint8Array } | undefined;
  policy: Policy = DEFAULT_POLICY;

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
        const newer = !this.policyAt || b.time > this.policyAt.time || (b.time === this.policyAt.time && compare(id, this.policyAt.id) > 0);
        if (newer) {
          this.policy = parsePolicy(decodePolicyStatement(b.body));
          this.policyAt = { time: b.time, id };
        }
        break;
      }
    }
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
   * Why `signer` may not act as `role` in `region` at `time` (seconds), or null if it may.
   * @example a.whyNotAuthorized(pub, Role.DIAGNOSTICIAN, 1, t) === null
   */
  whyNotAuthorized(signer: Uint8Array, role: RoleCode, region: number, time: number): string | null {
    const list = this.certs.get(toHex(signer));
    if (!list) return 'no certificate for this key';
    const ok = list.filter((c) => c.role === role && (c.region === ANY_REGION || c.region === region));
    if (!ok.length) return 'certificate is for another role or region';
    if (!ok.some((c) => c.notBefore <= time && time < c.notAfter)) return 'certificate not valid at this time';
    const rev = this.revokedAt(signer);
    if (rev !== undefined && time >= rev) return `certificate revoked at ${new Date(rev * 1000).toISOString()}`;
    return null;
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
