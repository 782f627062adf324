/**
 * The solver's duty on a full node: read the tracing chain window from the ledger, run the core
 * solver with the epoch private keys it holds, and publish signed notifications. The same code
 * runs in `beeptrace sim` (through World) and in `beeptrace node --role solver`.
 *
 * @example
 * const solver = new SolverRole(c, ledger, solverKey, epochKeys);
 * const { published } = await solver.run(); // notification blocks added to the ledger
 * @module
 */
import type { CryptoProvider } from '../../core/crypto.ts';
import { decodeBlock, type Block } from '../../core/codec/block.ts';
import { notificationBlock, type RoleKey } from '../../core/blocks.ts';
import type { Ledger } from '../../core/ledger/ledger.ts';
import { solve, type EpochKeyPair, type SolverOutput } from '../../core/solver.ts';
import type { BuildingIndex } from '../../core/buildings.ts';
import { Chain } from '../../core/types.ts';

export class SolverRole {
  /** Level each user-day was last notified at (kept across runs). */
  private notified = new Map<string, number>();
  constructor(
    private readonly c: CryptoProvider,
    private readonly ledger: Ledger,
    private readonly key: RoleKey,
    readonly epochKeys: Map<number, EpochKeyPair>,
    private readonly buildings?: BuildingIndex,
  ) {}

  /**
   * How a notification is added: the ledger directly (a simulation), or a full node's network
   * node (`NetNode.publish`: through its serial queue, announced to peers, issue 9 finding 11).
   */
  publish: (bytes: Uint8Array) => Promise<{ status: string }> = (bytes) => this.ledger.add(bytes);

  /** Tracing chain blocks of the retention window that count (docs/PROTOCOL.md §9.1), decoded. */
  async window(): Promise<{ id: Uint8Array; block: Block }[]> {
    const out: { id: Uint8Array; block: Block }[] = [];
    for (const e of this.ledger.entries(Chain.TRACING)) {
      if (!this.ledger.counts(e.hex)) continue;
      const bytes = await this.ledger.get(e.id);
      if (bytes) out.push({ id: e.id, block: decodeBlock(bytes) });
    }
    return out;
  }

  /** One run: solve and publish. Returns the solver's output, its time and the published blocks. */
  async run(nowSec: number): Promise<SolverOutput & { ms: number; published: Uint8Array[] }> {
    const blocks = await this.window();
    const t0 = performance.now();
    const out = solve({ crypto: this.c, policy: this.ledger.authority.policy, epochKeys: this.epochKeys, blocks, buildings: this.buildings, notified: this.notified, publishedBefore: (id, t) => this.ledger.publishedBefore(id, t) });
    const ms = performance.now() - t0;
    const published: Uint8Array[] = [];
    for (const n of out.notifications) {
      const bytes = notificationBlock(this.c, this.key, n, { region: this.ledger.opts.region, timeSec: nowSec, parents: this.ledger.tips(Chain.NOTIFICATION) });
      const r = await this.publish(bytes);
      if (r.status !== 'added') throw new Error(`own notification not added: ${r.status}`);
      published.push(bytes);
    }
    return { ...out, ms, published };
  }
}
