/**
 * The final checkpoints the device has seen (docs/PROTOCOL.md §10.4): checkpoint records on the
 * notification chain grouped by content, final once `policy.checkpointQuorum` validators signed
 * the same one. Kept up to date from each accepted CHECKPOINT block instead of re-reading them.
 * Only signatures that count (`Ledger.counts`, PROTOCOL §9.1) make a checkpoint final: a
 * validator's checkpoint signed after its revocation is stored but not counted, and this is asked
 * each time, so a revocation that arrives later takes its signatures away.
 *
 * @example
 * const t = new CheckpointTracker(ledger); await t.load();
 * ledger.onBlock((e, b) => t.add(b, e.hex));
 * t.latestEnd(Chain.NOTIFICATION) // seconds, or null
 * @module
 */
import { toHex } from '../../core/bytes.ts';
import { checkpointKey } from '../../core/ledger/checkpoints.ts';
import { decodeBlock, Kind, type Block } from '../../core/codec/block.ts';
import { decodeCheckpoint, type CheckpointBody } from '../../core/codec/records.ts';
import type { Ledger } from '../../core/ledger/ledger.ts';
import { Chain, type ChainId } from '../../core/types.ts';

/**
 * Final checkpoints by content, from the ledger's checkpoint blocks.
 * @example const t = new CheckpointTracker(ledger); await t.load(); t.covers(Chain.TRACING, blockTimeSec)
 */
export class CheckpointTracker {
  /** Checkpoints by content: the body, and each signer's block id (hex). */
  private groups = new Map<string, { cp: CheckpointBody; signers: Map<string, string> }>();

  constructor(private readonly ledger: Ledger) {}

  /** Read every checkpoint block the ledger holds. @example await tracker.load() */
  async load(): Promise<void> {
    for (const e of this.ledger.entries(Chain.NOTIFICATION)) {
      if (e.kind !== Kind.CHECKPOINT) continue;
      const bytes = await this.ledger.get(e.id);
      if (bytes) this.add(decodeBlock(bytes), e.hex);
    }
  }

  /** Note an accepted block, with its id (anything but a checkpoint is ignored). Returns whether it was one. */
  add(b: Block, id: string): boolean {
    if (b.kind !== Kind.CHECKPOINT || !b.signer) return false;
    const cp = decodeCheckpoint(b.body);
    const key = checkpointKey(cp);
    let g = this.groups.get(key);
    if (!g) this.groups.set(key, (g = { cp, signers: new Map() }));
    g.signers.set(toHex(b.signer), id);
    return true;
  }

  /** Final checkpoints of `chain`. */
  finals(chain: ChainId): CheckpointBody[] {
    const q = this.ledger.authority.policy.checkpointQuorum;
    const counted = (g: { signers: Map<string, string> }) => [...g.signers.values()].filter((id) => this.ledger.counts(id)).length;
    return [...this.groups.values()].filter((g) => g.cp.chain === chain && g.signers.size >= q && counted(g) >= q).map((g) => g.cp);
  }

  /** End (seconds) of the latest final checkpoint of `chain`, null if none. */
  latestEnd(chain: ChainId): number | null {
    let end: number | null = null;
    for (const cp of this.finals(chain)) end = Math.max(end ?? 0, cp.toTime);
    return end;
  }

  /** Does a final checkpoint of `chain` cover block time `timeSec`? */
  covers(chain: ChainId, timeSec: number): boolean {
    return this.finals(chain).some((cp) => cp.fromTime <= timeSec && timeSec < cp.toTime);
  }
}
