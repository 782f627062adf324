/**
 * The transparency dashboard's data (issue 11 §5): a `TransparencyTally` over the blocks this
 * device's own ledger verified — read once from the store when the engine opens, then kept up to
 * date from every accepted block. Nothing comes from a server's summary; with the chain synced it
 * works offline. A thin node holds the notification chain and the tracing chain's case blocks
 * (diagnoses, self-reports, withdrawals: docs/PROTOCOL.md §15 item 34); a relay holds both chains.
 *
 * @example
 * const t = new TransparencyView(ledger); await t.load();
 * ledger.onBlock((e, b) => t.accepted(b, e.id));
 * t.summary() // TransparencySummary
 * @module
 */
import type { Block } from '../../core/codec/block.ts';
import type { Ledger } from '../../core/ledger/ledger.ts';
import { countedChains, tallyLedger, TransparencyTally, type TransparencySummary } from '../../core/ledger/transparency.ts';

/** The engine's part behind the 'transparency' intent. @example await new TransparencyView(ledger).load() */
export class TransparencyView {
  private tally: TransparencyTally;
  private loaded: Promise<void> | null = null;

  constructor(private readonly ledger: Ledger) {
    this.tally = new TransparencyTally(countedChains(ledger));
  }

  /** Count every block the ledger holds (once; later calls wait for the first). */
  load(): Promise<void> {
    return (this.loaded ??= tallyLedger(this.ledger, this.tally).then(() => undefined));
  }

  /** Count a block the ledger just accepted (a block seen during `load` counts once). */
  accepted(b: Block, id: Uint8Array): void {
    this.tally.add(b, id);
  }

  /** The summary, with the policy's checkpoint quorum in force. @example (await t.summary()).cases */
  async summary(): Promise<TransparencySummary> {
    await this.load();
    return this.tally.summary(this.ledger.authority.policy.checkpointQuorum);
  }
}
