/**
 * The solver's duty on a full node: read the tracing chain window from the ledger, run the core
 * solver with the epoch private keys it holds, and publish signed notifications. The same code
 * runs in `beeptrace sim` (through World) and in `beeptrace node --role solver`.
 *
 * A solver that is not (or no longer) certified — revoked, expired — publishes nothing. Tags
 * another solver already published on the notification chain (a set of that exposure day at the
 * same or a higher level holds them) are not published again. Epoch keys past retention are
 * destroyed before each run (`dropEpochs`), as are those the CA shredded (`setEpochKeys` with a
 * newer hand-over).
 *
 * @example
 * const solver = new SolverRole(c, ledger, solverKey, epochKeys);
 * const { published } = await solver.run(nowSec); // notification blocks added to the ledger
 * @module
 */
import type { CryptoProvider } from '../../core/crypto.ts';
import { toHex } from '../../core/bytes.ts';
import { decodeBlock, Kind, type Block } from '../../core/codec/block.ts';
import { notificationBlock, type RoleKey } from '../../core/blocks.ts';
import { decodeNotification, Role } from '../../core/codec/records.ts';
import type { Ledger } from '../../core/ledger/ledger.ts';
import { epochOf } from '../../core/policy.ts';
import { solve, type EpochKeyPair, type SolverOutput } from '../../core/solver.ts';
import { TagSetIndex } from '../../core/tagset.ts';
import type { BuildingIndex } from '../../core/buildings.ts';
import { Chain } from '../../core/types.ts';

export class SolverRole {
  /** Level each user-day was last notified at (kept across runs). */
  private notified = new Map<string, number>();
  /** Notification sets on the chain, decoded once: block id → (exposure day, level, index). */
  private sets = new Map<string, { day: number; level: number; index: TagSetIndex | null }>();
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

  /** Destroy a held epoch key (the provider's cached copy too). */
  private destroy(epoch: number): void {
    const kp = this.epochKeys.get(epoch);
    if (!kp) return;
    this.c.forgetSecret?.(kp.secretKey);
    kp.secretKey.fill(0);
    this.epochKeys.delete(epoch);
  }

  /**
   * Replace the held epoch keys with `keys` (a newer hand-over): epochs missing from it were
   * shredded by the CA and are destroyed here. Returns the epochs destroyed.
   * @example solver.setEpochKeys(await readHandover(c, file, key)) // [2929]
   */
  setEpochKeys(keys: Map<number, EpochKeyPair>): number[] {
    const gone = [...this.epochKeys.keys()].filter((e) => !keys.has(e));
    for (const e of gone) this.destroy(e);
    for (const [e, kp] of keys) {
      const old = this.epochKeys.get(e);
      if (old && old !== kp) old.secretKey.fill(0);
      this.epochKeys.set(e, kp);
    }
    return gone;
  }

  /** Destroy keys of epochs with no day inside the retention window (PROTOCOL §3.2). Returns them. */
  dropEpochs(nowSec: number): number[] {
    const p = this.ledger.authority.policy;
    const oldest = epochOf(p, Math.floor(nowSec / 86_400) - p.retentionDays);
    const gone = [...this.epochKeys.keys()].filter((e) => e < oldest);
    for (const e of gone) this.destroy(e);
    return gone;
  }

  /** Why this solver may not publish now (not certified, revoked, expired), or null. */
  notAuthorized(nowSec: number): string | null {
    return this.ledger.authority.whyNotAuthorized(this.key.publicKey, Role.SOLVER, this.ledger.opts.region, nowSec);
  }

  /** Does a notification set on the chain hold `tag` for `day` at `level` or higher? */
  private async onChain(): Promise<(day: number, level: number, tag: Uint8Array) => boolean> {
    const live = new Set<string>();
    for (const e of this.ledger.entries(Chain.NOTIFICATION)) {
      if (e.kind !== Kind.NOTIFICATION) continue;
      live.add(e.hex);
      if (this.sets.has(e.hex)) continue;
      const bytes = await this.ledger.get(e.id);
      if (!bytes) continue;
      try {
        const n = decodeNotification(decodeBlock(bytes).body);
        this.sets.set(e.hex, { day: n.exposureDay, level: n.level, index: new TagSetIndex({ n: n.n, P: n.P, salt: n.salt, data: n.data }) });
      } catch {
        this.sets.set(e.hex, { day: -1, level: 0, index: null }); // accepted by the ledger, so this does not happen
      }
    }
    for (const k of this.sets.keys()) if (!live.has(k)) this.sets.delete(k);
    return (day, level, tag) => {
      for (const s of this.sets.values()) if (s.day === day && s.level >= level && s.index?.has(this.c, tag)) return true;
      return false;
    };
  }

  /**
   * One run: solve and publish. Returns the solver's output, its time, the published blocks, and
   * `skipped` (why nothing was solved) when the solver is not authorized now.
   */
  async run(nowSec: number): Promise<SolverOutput & { ms: number; published: Uint8Array[]; skipped?: string }> {
    this.dropEpochs(nowSec);
    const why = this.notAuthorized(nowSec);
    if (why) {
      const empty = solve({ crypto: this.c, policy: this.ledger.authority.policy, epochKeys: new Map(), blocks: [] });
      return { ...empty, ms: 0, published: [], skipped: `this solver's key ${toHex(this.key.publicKey).slice(0, 16)}… may not publish: ${why}` };
    }
    const blocks = await this.window();
    const alreadyPublished = await this.onChain();
    const t0 = performance.now();
    const out = solve({ crypto: this.c, policy: this.ledger.authority.policy, epochKeys: this.epochKeys, blocks, buildings: this.buildings, notified: this.notified, alreadyPublished, publishedBefore: (id, t) => this.ledger.publishedBefore(id, t) });
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
