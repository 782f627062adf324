/**
 * The public audit of an authority (issue 11 §5): what anyone can count from the chains alone —
 * cases endorsed per diagnostician per day (DIAGNOSIS blocks: signer, day of block time, and the
 * number of days a case covers, public in its body), notification tag sets per solver per day,
 * self-reports and withdrawals per day, checkpoints and the validators that signed them,
 * certificates (role, region, validity) and revocations.
 *
 * Fed only with blocks a Ledger accepted (its `onBlock` listener, or the blocks its store holds,
 * which were checked before being stored), so a block that fails verification is never counted.
 * Incremental: `add` each accepted block once (a block seen again is ignored), `summary()` at any
 * time. Everything in the summary is public chain data; keys are given in full hex, and views name
 * them by `fingerprint`.
 *
 * @example
 * const tally = new TransparencyTally([Chain.TRACING, Chain.NOTIFICATION]);
 * ledger.onBlock((e, b) => tally.add(b, e.id));
 * const s = tally.summary(ledger.authority.policy.checkpointQuorum);
 * s.cases // [{ signer: 'ab…', day: 20514, cases: 1, caseDays: 14 }]
 * @module
 */
import { toHex } from '../bytes.ts';
import { checkpointKey } from './checkpoints.ts';
import { decodeBlock, Kind, type Block } from '../codec/block.ts';
import { decodeCase, decodeCertificate, decodeCheckpoint, decodeNotification, decodeRevocation, ROLE_NAME } from '../codec/records.ts';
import { Chain, type ChainId, type Day } from '../types.ts';
import type { Ledger } from './ledger.ts';

/** Cases one diagnostician endorsed on one UTC day (of block time). */
export interface CasesRow {
  /** The diagnostician's public key, hex. */
  signer: string;
  day: Day;
  cases: number;
  /** Sum of the days the cases cover (each case says how many day keys it endorses). */
  caseDays: number;
}

/** Notification tag sets one solver published on one UTC day (of block time). */
export interface TagSetsRow {
  signer: string;
  day: Day;
  sets: number;
  /** Tags in those sets. */
  tags: number;
}

/** Anonymous records (self-reports, withdrawals) per UTC day of block time. */
export interface DayCount {
  day: Day;
  count: number;
}

/** Checkpoint signatures one validator made on one UTC day. */
export interface SignaturesRow {
  signer: string;
  day: Day;
  count: number;
}

/** One checkpoint (grouped by content) and who signed it. */
export interface CheckpointRow {
  chain: ChainId;
  /** Interval of block time, seconds. */
  fromTime: number;
  toTime: number;
  /** Blocks in the interval. */
  size: number;
  signers: string[];
  /** Signed by at least the policy's quorum of validators. */
  final: boolean;
}

/** A certificate the CA published, with its revocation if any. */
export interface CertificateRow {
  subject: string;
  serial: string;
  role: 'diagnostician' | 'solver' | 'validator';
  /** Region number; 65535 means every region. */
  region: number;
  name: string;
  /** Validity, seconds. */
  notBefore: number;
  notAfter: number;
  /** When the key was revoked (seconds), null if it was not. */
  revokedAt: number | null;
}

/** A revocation the CA published. */
export interface RevocationRow {
  subject: string;
  revokedAt: number;
  reason: number;
}

/** What the transparency view shows. Plain JSON (it crosses the worker boundary). */
export interface TransparencySummary {
  /**
   * Chains counted. The tracing chain is counted wherever its case blocks are held — on a thin
   * node too (docs/PROTOCOL.md §15 item 34); a ledger of the notification chain alone has no cases,
   * self-reports or withdrawals.
   */
  chains: ChainId[];
  cases: CasesRow[];
  tagSets: TagSetsRow[];
  selfReports: DayCount[];
  withdrawals: DayCount[];
  signatures: SignaturesRow[];
  /** The newest checkpoints first, at most `maxCheckpoints` of them. */
  checkpoints: CheckpointRow[];
  /** All checkpoints known (the list above may be cut). */
  checkpointCount: number;
  certificates: CertificateRow[];
  revocations: RevocationRow[];
}

/**
 * A short, readable fingerprint of a public key: its first 8 bytes as four groups of 4 hex digits.
 * Keys are public; this names them without a wall of hex.
 * @example fingerprint('a1b2c3d4e5f60718…') === 'a1b2 c3d4 e5f6 0718'
 */
export function fingerprint(hex: string): string {
  return (hex.slice(0, 16).match(/.{1,4}/g) ?? []).join(' ');
}

const DAY_SEC = 86_400;

/**
 * Counts accepted blocks (see the module comment). Decoding failures are impossible for blocks a
 * ledger accepted; a surprise is skipped, never thrown.
 * @example const t = new TransparencyTally([Chain.NOTIFICATION]); t.add(block, id); t.summary(2)
 */
export class TransparencyTally {
  private seen = new Set<string>();
  private cases = new Map<string, CasesRow>();
  private tags = new Map<string, TagSetsRow>();
  private selfReports = new Map<Day, number>();
  private withdrawals = new Map<Day, number>();
  private sigs = new Map<string, SignaturesRow>();
  private cps = new Map<string, { row: Omit<CheckpointRow, 'final'>; signers: Set<string> }>();
  private certs = new Map<string, Omit<CertificateRow, 'revokedAt'>>();
  private revoked = new Map<string, RevocationRow>();

  /** @param chains the chains the feeding ledger carries */
  constructor(readonly chains: ChainId[]) {}

  /**
   * Count one accepted block; `id` (its SHA-256) makes a second add of the same block a no-op.
   * Returns whether the summary changed.
   * @example tally.add(decodeBlock(bytes), c.sha256(bytes))
   */
  add(b: Block, id: Uint8Array): boolean {
    if (!COUNTED.has(b.kind)) return false; // trace batches, epoch keys, policies: nothing to count, nothing to remember
    const hex = toHex(id);
    if (this.seen.has(hex)) return false;
    this.seen.add(hex);
    try {
      return this.count(b);
    } catch {
      return false; // a block the ledger accepted always decodes; never let a surprise escape
    }
  }

  private count(b: Block): boolean {
    const day = Math.floor(b.time / DAY_SEC);
    const signer = b.signer ? toHex(b.signer) : '';
    switch (b.kind) {
      case Kind.DIAGNOSIS: {
        const body = decodeCase(b.body, 'diagnosis');
        const row = getOr(this.cases, `${signer}:${day}`, () => ({ signer, day, cases: 0, caseDays: 0 }));
        row.cases++;
        row.caseDays += body.days;
        return true;
      }
      case Kind.NOTIFICATION: {
        const n = decodeNotification(b.body);
        const row = getOr(this.tags, `${signer}:${day}`, () => ({ signer, day, sets: 0, tags: 0 }));
        row.sets++;
        row.tags += n.n;
        return true;
      }
      case Kind.SELF_REPORT:
        this.selfReports.set(day, (this.selfReports.get(day) ?? 0) + 1);
        return true;
      case Kind.WITHDRAWAL:
        this.withdrawals.set(day, (this.withdrawals.get(day) ?? 0) + 1);
        return true;
      case Kind.CHECKPOINT: {
        const cp = decodeCheckpoint(b.body);
        const key = checkpointKey(cp);
        const g = getOr(this.cps, key, () => ({ row: { chain: cp.chain as ChainId, fromTime: cp.fromTime, toTime: cp.toTime, size: cp.size, signers: [] }, signers: new Set<string>() }));
        if (g.signers.has(signer)) return false; // the same validator signing twice counts once
        g.signers.add(signer);
        getOr(this.sigs, `${signer}:${day}`, () => ({ signer, day, count: 0 })).count++;
        return true;
      }
      case Kind.CERTIFICATE: {
        const c = decodeCertificate(b.body);
        const key = `${toHex(c.subject)}:${toHex(c.serial)}`;
        if (this.certs.has(key)) return false; // re-published to outlive retention: the same certificate
        this.certs.set(key, {
          subject: toHex(c.subject), serial: toHex(c.serial), role: ROLE_NAME[c.role] as CertificateRow['role'],
          region: c.region, name: c.name, notBefore: c.notBefore, notAfter: c.notAfter,
        });
        return true;
      }
      case Kind.REVOCATION: {
        const r = decodeRevocation(b.body);
        const subject = toHex(r.subject);
        const old = this.revoked.get(subject);
        if (old && old.revokedAt <= r.revokedAt) return false;
        this.revoked.set(subject, { subject, revokedAt: r.revokedAt, reason: r.reason });
        return true;
      }
      default:
        return false;
    }
  }

  /**
   * The summary now. Rows are sorted by day, then key; checkpoints newest first (at most `maxCheckpoints`).
   * @example tally.summary(ledger.authority.policy.checkpointQuorum, 20)
   */
  summary(quorum: number, maxCheckpoints = 30): TransparencySummary {
    const byDay = <T extends { day: Day; signer: string }>(rows: Iterable<T>) => [...rows].map((r) => ({ ...r })).sort((a, b) => a.day - b.day || (a.signer < b.signer ? -1 : a.signer > b.signer ? 1 : 0));
    const perDay = (m: Map<Day, number>) => [...m].map(([day, count]) => ({ day, count })).sort((a, b) => a.day - b.day);
    const cps = [...this.cps.values()]
      .map((g) => ({ ...g.row, signers: [...g.signers].sort(), final: g.signers.size >= quorum }))
      .sort((a, b) => b.toTime - a.toTime || a.chain - b.chain);
    return {
      chains: [...this.chains],
      cases: byDay(this.cases.values()),
      tagSets: byDay(this.tags.values()),
      selfReports: perDay(this.selfReports),
      withdrawals: perDay(this.withdrawals),
      signatures: byDay(this.sigs.values()),
      checkpoints: cps.slice(0, maxCheckpoints),
      checkpointCount: cps.length,
      certificates: [...this.certs.values()]
        .map((c) => ({ ...c, revokedAt: this.revoked.get(c.subject)?.revokedAt ?? null }))
        .sort((a, b) => a.role.localeCompare(b.role) || a.notBefore - b.notBefore || a.subject.localeCompare(b.subject)),
      revocations: [...this.revoked.values()].map((r) => ({ ...r })).sort((a, b) => a.revokedAt - b.revokedAt),
    };
  }
}

/**
 * The summary of a whole list of accepted blocks at once (a pure function over the tally).
 * @example summarize([Chain.TRACING, Chain.NOTIFICATION], blocks.map((bytes) => ({ block: decodeBlock(bytes), id: sha256(bytes) })), 2)
 */
export function summarize(chains: ChainId[], blocks: Iterable<{ block: Block; id: Uint8Array }>, quorum: number): TransparencySummary {
  const t = new TransparencyTally(chains);
  for (const { block, id } of blocks) t.add(block, id);
  return t.summary(quorum);
}

/**
 * A tally of every block a ledger holds now (each was checked before it was stored), to keep up
 * to date afterwards with `ledger.onBlock((e, b) => tally.add(b, e.id))`.
 * @example const tally = await tallyLedger(ledger); tally.summary(ledger.authority.policy.checkpointQuorum)
 */
export async function tallyLedger(ledger: Ledger, tally = new TransparencyTally(countedChains(ledger))): Promise<TransparencyTally> {
  for (const chain of tally.chains) {
    for (const e of ledger.entries(chain)) {
      if (!COUNTED.has(e.kind)) continue; // trace batches are most of the tracing chain: never read them
      if (!ledger.counts(e.hex)) continue; // stored but void (a revoked signer's statement, PROTOCOL §9.1)
      const bytes = await ledger.get(e.id);
      if (bytes) tally.add(decodeBlock(bytes), e.id);
    }
  }
  return tally;
}

/**
 * The chains a ledger's tally counts: those it carries, and the tracing chain if it holds its case blocks.
 * @example countedChains(thinLedger) // [1, 2]
 */
export function countedChains(ledger: Ledger): ChainId[] {
  const chains = new Set<ChainId>(ledger.opts.carries);
  if (ledger.holds(Chain.TRACING, Kind.DIAGNOSIS)) chains.add(Chain.TRACING);
  return [...chains].sort();
}

/** Kinds the tally counts. */
const COUNTED = new Set<number>([Kind.DIAGNOSIS, Kind.NOTIFICATION, Kind.SELF_REPORT, Kind.WITHDRAWAL, Kind.CHECKPOINT, Kind.CERTIFICATE, Kind.REVOCATION]);

function getOr<K, V>(m: Map<K, V>, k: K, make: () => V): V {
  let v = m.get(k);
  if (v === undefined) m.set(k, (v = make()));
  return v;
}
