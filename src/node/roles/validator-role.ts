/**
 * A validator's duty on a full node: on a schedule, checkpoint the last closed interval of each
 * chain (an interval is closed once its end is older than the clock skew), sign it, publish it
 * on the notification chain. Other validators do the same; a checkpoint is final at the policy's
 * quorum (src/core/ledger/checkpoints.ts).
 *
 * @example
 * const v = new ValidatorRole(c, ledger, key, 600);
 * await v.tick(nowSec) // checkpoints any newly closed 10-minute intervals
 * @module
 */
import type { CryptoProvider } from '../../core/crypto.ts';
import { checkpointBlock, type RoleKey } from '../../core/blocks.ts';
import type { Ledger } from '../../core/ledger/ledger.ts';
import { buildCheckpoint } from '../../core/ledger/checkpoints.ts';
import type { CheckpointBody } from '../../core/codec/records.ts';
import { Chain, type ChainId } from '../../core/types.ts';

export class ValidatorRole {
  private done = new Map<ChainId, number>();
  constructor(
    private readonly c: CryptoProvider,
    private readonly ledger: Ledger,
    private readonly key: RoleKey,
    /** Interval length, seconds. */
    readonly intervalSec = 600,
  ) {}

  /**
   * How a checkpoint is added: the ledger directly (a simulation), or a full node's network node
   * (`NetNode.publish`: through its serial queue, announced to peers, issue 9 finding 11).
   */
  publish: (bytes: Uint8Array) => Promise<{ status: string }> = (bytes) => this.ledger.add(bytes);

  /** Sign and publish a checkpoint of [fromSec, toSec) of `chain`. */
  async checkpoint(chain: ChainId, fromSec: number, toSec: number, nowSec: number): Promise<{ body: CheckpointBody; bytes: Uint8Array }> {
    const body = buildCheckpoint(this.c, this.ledger, chain, fromSec, toSec);
    const bytes = checkpointBlock(this.c, this.key, body, { region: this.ledger.opts.region, timeSec: nowSec, parents: this.ledger.tips(Chain.NOTIFICATION) });
    const r = await this.publish(bytes);
    if (r.status !== 'added') throw new Error(`own checkpoint not added: ${r.status}`);
    return { body, bytes };
  }

  /** Checkpoint every closed interval not yet done (at most the last `max`). Returns the blocks published. */
  async tick(nowSec: number, max = 6): Promise<Uint8Array[]> {
    const skew = this.ledger.authority.policy.maxSkewSeconds;
    const closedEnd = Math.floor((nowSec - skew) / this.intervalSec) * this.intervalSec;
    const out: Uint8Array[] = [];
    for (const chain of [Chain.TRACING, Chain.NOTIFICATION] as ChainId[]) {
      if (!this.ledger.carries(chain)) continue;
      let from = Math.max(this.done.get(chain) ?? closedEnd - this.intervalSec, closedEnd - max * this.intervalSec);
      for (; from + this.intervalSec <= closedEnd; from += this.intervalSec) {
        out.push((await this.checkpoint(chain, from, from + this.intervalSec, nowSec)).bytes);
      }
      this.done.set(chain, from);
    }
    return out;
  }
}
