/**
 * Checkpoints (docs/PROTOCOL.md §Checkpoints): validators sign RFC 6962 Merkle roots over the ids
 * of the blocks of an interval of a chain, ordered by (time, id). A checkpoint is final once
 * `policy.checkpointQuorum` distinct certified validators signed the same (chain, interval, size,
 * root). With a final checkpoint anyone can prove "this upload is in the chain" (inclusion) and
 * a full node can audit "my blocks of that interval are exactly these" (same root).
 *
 * @example
 * const cp = buildCheckpoint(c, ledger, Chain.TRACING, from, to);     // a validator
 * const finals = finalCheckpoints(await checkpointRecords(ledger), 2);
 * const p = await inclusionProofFor(c, ledger, uploadId, finals[0]);   // a full node, for a thin node
 * verifyIncluded(c, uploadId, finals[0], p)                            // the thin node: true
 * @module
 */
import type { CryptoProvider } from '../crypto.ts';
import { toHex, equal } from '../bytes.ts';
import { decodeBlock, Kind } from '../codec/block.ts';
import { decodeCheckpoint, type CheckpointBody } from '../codec/records.ts';
import { inclusionProof, leafHash, merkleRoot, verifyInclusion } from '../merkle.ts';
import type { Ledger } from './ledger.ts';
import { Chain, type ChainId } from '../types.ts';
import { CASE_KINDS } from './cases.ts';

/** Leaf hashes of a chain's blocks with fromSec ≤ time < toSec, in (time, id) order (of some kinds only, with `kinds`). */
export function checkpointLeaves(c: CryptoProvider, ledger: Ledger, chain: ChainId, fromSec: number, toSec: number, kinds?: ReadonlySet<number>): { ids: Uint8Array[]; leaves: Uint8Array[] } {
  const ids = ledger.entries(chain, fromSec, toSec).filter((e) => !kinds || kinds.has(e.kind)).map((e) => e.id);
  return { ids, leaves: ids.map((id) => leafHash(c.sha256, id)) };
}

/**
 * What a validator signs for an interval: the root of its blocks, and for the tracing chain also
 * the root of its case blocks alone (docs/PROTOCOL.md §7.9: every node can check that one).
 * @example checkpointBlock(c, key, buildCheckpoint(c, ledger, 1, a, b), common)
 */
export function buildCheckpoint(c: CryptoProvider, ledger: Ledger, chain: ChainId, fromSec: number, toSec: number): CheckpointBody {
  const { leaves } = checkpointLeaves(c, ledger, chain, fromSec, toSec);
  const cp: CheckpointBody = { chain, fromTime: fromSec, toTime: toSec, size: leaves.length, root: merkleRoot(c.sha256, leaves) };
  if (chain === Chain.TRACING) {
    const cases = checkpointLeaves(c, ledger, chain, fromSec, toSec, CASE_KINDS).leaves;
    cp.cases = { size: cases.length, root: merkleRoot(c.sha256, cases) };
  }
  return cp;
}

/** The content of a checkpoint as one string: equal for checkpoints that say the same (grouping signers). @example checkpointKey(cp) */
export function checkpointKey(cp: CheckpointBody): string {
  return `${cp.chain}:${cp.fromTime}:${cp.toTime}:${cp.size}:${toHex(cp.root)}${cp.cases ? `:${cp.cases.size}:${toHex(cp.cases.root)}` : ''}`;
}

/** A checkpoint and the validators that signed it. */
export interface SignedCheckpoint extends CheckpointBody {
  signers: Uint8Array[];
}

/** Every checkpoint record on the (notification) chain that counts (`Ledger.counts`), grouped by content. */
export async function checkpointRecords(ledger: Ledger): Promise<SignedCheckpoint[]> {
  const groups = new Map<string, SignedCheckpoint>();
  for (const e of ledger.entries(Chain.NOTIFICATION)) {
    if (e.kind !== Kind.CHECKPOINT || !ledger.counts(e.hex)) continue; // a revoked validator's checkpoint counts only if sealed before (§9.1)
    const bytes = await ledger.get(e.id);
    if (!bytes) continue;
    const b = decodeBlock(bytes);
    const cp = decodeCheckpoint(b.body);
    const key = checkpointKey(cp);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ...cp, signers: [] }));
    if (!g.signers.some((s) => equal(s, b.signer!))) g.signers.push(b.signer!);
  }
  return [...groups.values()];
}

/** Checkpoints signed by at least `quorum` distinct validators (the ledger checked each one's certificate). */
export function finalCheckpoints(records: SignedCheckpoint[], quorum: number): SignedCheckpoint[] {
  return records.filter((r) => r.signers.length >= quorum);
}

export interface InclusionProof {
  index: number;
  proof: Uint8Array[];
}

/**
 * A full node's proof that block `id` is leaf `index` of checkpoint `cp`; null when the block is
 * not in the interval or this node's blocks of the interval do not give the checkpoint's root.
 */
export async function inclusionProofFor(c: CryptoProvider, ledger: Ledger, id: Uint8Array, cp: CheckpointBody): Promise<InclusionProof | null> {
  const { ids, leaves } = checkpointLeaves(c, ledger, cp.chain as ChainId, cp.fromTime, cp.toTime);
  if (leaves.length !== cp.size || !equal(merkleRoot(c.sha256, leaves), cp.root)) return null;
  const index = ids.findIndex((x) => equal(x, id));
  if (index < 0) return null;
  return { index, proof: inclusionProof(c.sha256, leaves, index) };
}

/** A thin node checks a proof against a checkpoint it got from the notification chain. @example verifyIncluded(c, id, cp, p) */
export function verifyIncluded(c: CryptoProvider, id: Uint8Array, cp: CheckpointBody, p: InclusionProof): boolean {
  return verifyInclusion(c.sha256, p.index, cp.size, leafHash(c.sha256, id), p.proof, cp.root);
}

/** A full node audits a checkpoint against its own blocks of the interval. */
export function auditCheckpoint(c: CryptoProvider, ledger: Ledger, cp: CheckpointBody): 'match' | 'differs' {
  const b = buildCheckpoint(c, ledger, cp.chain as ChainId, cp.fromTime, cp.toTime);
  return b.size === cp.size && equal(b.root, cp.root) ? 'match' : 'differs';
}
