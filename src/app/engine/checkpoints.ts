/**
 * The final checkpoints the device has seen (docs/PROTOCOL.md §10.4): checkpoint records on the
 * notification chain grouped by content, final once `policy.checkpointQuorum` validators signed
 * the same one. Kept up to date from each accepted CHECKPOINT block instead of re-reading them.
 *
 * @example
 * const t = new CheckpointTracker(ledger); await t.load();
 * ledger.onBlock((e, b) => t.add(b));
 * t.latestEnd(Chain.NOTIFICATION) // seconds, or null
 * @module
 */
import { toHex } from '../../core/bytes.ts';
import { decodeBlock, Kind, type Block } from '../../core/codec/block.ts';
import { decodeCheckpoint, type CheckpointBody } from '../../core/codec/records.ts';
import type { Ledger } from '../../core/ledger/ledger.ts';
import { Chain, type ChainId } from '../../core/types.ts';

/**
 * Final checkpoints by content, from the ledger's checkpoint blocks.
 * @example const t = new CheckpointTracker(ledger); await t.load(); t.covers(Chain.TRACING, blockTimeSec)
 */
export class CheckpointTracker {
  private groups = new Map<string, { cp: CheckpointBody; signers: Set<string> }>();

  constructor(private readonly ledger: Ledger) {}

  /** Read every checkpoint block the ledger holds. @example await tracker.load() */
  async load(): Promise<void> {
    for (const e of this.ledger.entries(Chain.NOTIFICATION)) {
      if (e.kind !== Kind.CHECKPOINT) continue;
      const bytes = await this.ledger.get(e.id);
      if (bytes) this.add(decodeBlock(bytes));
    }
  }

  /** Note an accepted block (anything but a checkpoint is ignored). Returns whether it was one. */
  add(b: Block): boolean {
    if (b.kind !== Kind.CHECKPOINT || !b.signer) return false;
    const cp = decodeCheckpoint(b.body);
    const key = `${cp.chain}:${cp.fromTime}:${cp.toTime}:${cp.size}:${toHex(cp.root)}`;
    let g = this.groups.get(key);
    if (!g) this.groups.set(key, (g = { cp, signers: new Set() }));
    g.signers.add(toHex(b.signer));
    return true;
  }

  /** Final checkpoints of `chain`. */
  finals(chain: ChainId): CheckpointBody[] {
    const q = this.ledger.authority.policy.checkpointQuorum;
    return [...this.groups.values()].filter((g) => g.cp.chain === chain && g.signers.size >= q).map((g) => g.cp);
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
