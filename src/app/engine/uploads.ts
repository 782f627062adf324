/**
 * Uploads: a day's closed stays → trace batches (src/core/device.ts) → `node.publish`.
 *
 * The queue is the day records (state.ts), and every step is one atomic write of one record:
 * 1. `nextPart` is advanced by the parts needed and written — before anything is sealed, so a
 *    crash afterwards burns part numbers but never reuses one (PROTOCOL Appendix A item 7);
 * 2. the stays are sealed; the blocks go to `pending` and `uploaded` moves past the stays in the
 *    same write — so a stay is either queued in a sealed block or still to seal, never both;
 * 3. each pending block is published; once the node took it (publish resolved, or its outbox
 *    retains it) it moves to `sent`. A crash before that publishes the same bytes again after the
 *    reload, which the node deduplicates by block id.
 *
 * Policies: 'asap' seals completed days at once and today's new stays every `todayEveryMs`;
 * 'charging-wifi' does the same only while the page last said charging and on Wi-Fi. Where the
 * browser does not say (null), that condition does not block, but only completed days go out
 * automatically (docs/APP.md §Uploads). Nothing goes out automatically while offline; "Upload
 * now" seals and publishes every stay not yet sealed, whatever the policy.
 *
 * @example
 * const u = new Uploads(ctx); await u.uploadNow(); u.tick(settings.uploadPolicy);
 * @module
 */
import { fromHex, toHex } from '../../core/bytes.ts';
import { decodeBlock } from '../../core/codec/block.ts';
import { DeviceError, partsFor, sealingParams, traceBatches, withdrawal } from '../../core/device.ts';
import { dayOfMs, type Day } from '../../core/types.ts';
import type { DayUpload, UploadPolicy } from '../protocol.ts';
import type { EngineCtx } from './context.ts';
import type { CheckpointTracker } from './checkpoints.ts';
import { listDays, readDay, writeDay, type DayRecord, type QueuedBlock } from './state.ts';

/** Battery and network as the page last saw them (null: the browser does not say). @example { charging: null, wifi: true, online: true } */
export interface Conditions {
  charging: boolean | null;
  wifi: boolean | null;
  online: boolean;
}

/** What "upload now" did. @example { sealed: 1, skipped: [{ day: 20500, code: 'no_epoch_key' }] } */
export interface UploadResult {
  /** Trace batches sealed now. */
  sealed: number;
  /** Days that could not be sealed, and why (no epoch key yet, part numbers used up). */
  skipped: { day: Day; code: string }[];
}

/**
 * The upload queue of the engine (see the module comment).
 * @example const u = new Uploads(ctx, tracker); u.conditions = { charging: true, wifi: true, online: true }; await u.tick('charging-wifi');
 */
export class Uploads {
  conditions: Conditions = { charging: null, wifi: null, online: true };
  /** Called when a trace batch has left for the node (the care relay tells guardians at once). */
  onSent: () => void = () => undefined;
  private inFlight = new Set<string>();

  constructor(
    private readonly ctx: EngineCtx,
    private readonly checkpoints: CheckpointTracker,
    private readonly todayEveryMs = 60 * 60_000,
  ) {}

  /** Seal the unsealed stays of `days` that `due` selects; caller holds the lock. */
  private async seal(due: (rec: DayRecord, today: Day) => boolean): Promise<UploadResult> {
    const out: UploadResult = { sealed: 0, skipped: [] };
    const now = this.ctx.now();
    const today = dayOfMs(now);
    for (const day of await listDays(this.ctx.store)) {
      const rec = await readDay(this.ctx.store, day);
      if (rec.withdrawn || rec.stays.length <= rec.uploaded || !due(rec, today)) continue;
      const stays = rec.stays.slice(rec.uploaded);
      let params;
      try {
        params = sealingParams(this.ctx.net.ledger.authority, day);
      } catch (e) {
        out.skipped.push({ day, code: e instanceof DeviceError ? e.code : 'error' });
        continue;
      }
      const firstPart = rec.nextPart;
      const n = partsFor(stays.length);
      if (firstPart + n - 1 > 255) {
        out.skipped.push({ day, code: 'parts_exhausted' });
        continue;
      }
      rec.nextPart = firstPart + n;
      await writeDay(this.ctx.store, rec); // step 1: the part numbers are spent before sealing
      const { blocks } = traceBatches(this.ctx.c, this.ctx.keys, {
        region: this.ctx.region, timeSec: Math.floor(now / 1000), day, stays, firstPart,
        epoch: params.epoch, epochPub: params.epochPub, powBits: params.pow.traceBits,
      });
      rec.pending.push(...blocks.map((b): QueuedBlock => ({ hex: toHex(this.ctx.c.sha256(b)), bytes: toHex(b), kind: 'trace' })));
      rec.uploaded = rec.stays.length;
      rec.lastSealAt = now;
      await writeDay(this.ctx.store, rec); // step 2: sealed and queued in one write
      out.sealed += blocks.length;
    }
    return out;
  }

  /** "Upload now": seal every stay not yet sealed and publish. @example await uploads.uploadNow() */
  async uploadNow(): Promise<UploadResult> {
    const r = await this.ctx.locked(() => this.seal(() => true));
    this.ctx.changed();
    void this.publishPending();
    return r;
  }

  /** Automatic uploads by the policy; call every so often. @example uploads.tick('asap') */
  async tick(policy: UploadPolicy): Promise<void> {
    const c = this.conditions;
    if (c.online) {
      let todayToo = true;
      let allowed = true;
      if (policy === 'charging-wifi') {
        allowed = c.charging !== false && c.wifi !== false;
        todayToo = c.charging === true && c.wifi === true;
      }
      if (allowed) {
        const now = this.ctx.now();
        const r = await this.ctx.locked(() => this.seal((rec, today) => rec.day < today || (todayToo && now - (rec.lastSealAt ?? -Infinity) >= this.todayEveryMs)));
        if (r.sealed) this.ctx.changed();
      }
    }
    void this.publishPending(); // not awaited: a thin node's upload resolves on a peer's receipt, which may take minutes
  }

  /** Publish withdrawal records for `days`; their unsent trace batches are dropped. Returns the days. */
  async withdraw(days: Day[]): Promise<Day[]> {
    for (const d of days) if (!Number.isInteger(d) || d < 0) throw new TypeError(`withdraw: ${JSON.stringify(d)} is not a UTC day number`);
    const done = await this.ctx.locked(async () => {
      const out: Day[] = [];
      for (const day of [...new Set(days)]) {
        const rec = await readDay(this.ctx.store, day);
        if (rec.withdrawn) continue;
        const pow = this.ctx.net.ledger.authority.policy.pow.withdrawalBits;
        const b = withdrawal(this.ctx.c, this.ctx.keys, { region: this.ctx.region, timeSec: Math.floor(this.ctx.now() / 1000), day, powBits: pow });
        rec.pending = [...rec.pending.filter((q) => q.kind !== 'trace'), { hex: toHex(this.ctx.c.sha256(b)), bytes: toHex(b), kind: 'withdrawal' }];
        rec.withdrawn = true;
        await writeDay(this.ctx.store, rec);
        out.push(day);
      }
      return out;
    });
    this.ctx.changed();
    void this.publishPending();
    return done;
  }

  /** Hand every pending block to the node (each at most once at a time). Never throws. */
  async publishPending(): Promise<void> {
    try {
      await this.publishAll();
    } catch {
      // the store closed (erase, reload) or failed: what is pending stays pending
    }
  }

  private async publishAll(): Promise<void> {
    const node = this.ctx.net.node;
    const work: Promise<void>[] = [];
    for (const day of await listDays(this.ctx.store)) {
      const rec = await readDay(this.ctx.store, day);
      for (const q of rec.pending) {
        if (this.inFlight.has(q.hex)) continue;
        if (node.retained().some((u) => u.id === q.hex)) {
          work.push(this.markSent(day, q.hex)); // the outbox has it already
          continue;
        }
        this.inFlight.add(q.hex);
        work.push(
          node.publish(fromHex(q.bytes)).then(
            () => this.markSent(day, q.hex),
            () => (node.retained().some((u) => u.id === q.hex) ? this.markSent(day, q.hex) : undefined), // else: tried again next tick
          ).finally(() => this.inFlight.delete(q.hex)),
        );
      }
    }
    await Promise.allSettled(work);
  }

  private markSent(day: Day, hex: string): Promise<void> {
    return this.ctx.locked(async () => {
      const rec = await readDay(this.ctx.store, day);
      const q = rec.pending.find((p) => p.hex === hex);
      if (!q) return;
      rec.pending = rec.pending.filter((p) => p.hex !== hex);
      rec.sent.push({ hex, time: decodeBlock(fromHex(q.bytes)).time, kind: q.kind });
      await writeDay(this.ctx.store, rec);
      this.ctx.changed();
      if (q.kind === 'trace') this.onSent();
    });
  }

  /**
   * Upload state of a day for the views. proven: every block handed to the node has left its
   * outbox and lies in a final checkpoint's interval of the tracing chain.
   * @example uploads.status(rec, today) // 'received'
   */
  status(rec: DayRecord, today: Day): DayUpload {
    if (rec.withdrawn) return 'withdrawn';
    if (rec.pending.length) return 'waiting';
    const traces = rec.sent.filter((s) => s.kind === 'trace');
    if (!traces.length) return rec.day >= today ? 'recording' : 'waiting';
    const kept = new Map(this.ctx.net.node.retained().map((u) => [u.id, u.state]));
    let st: DayUpload;
    if (traces.some((s) => kept.get(s.hex) === 'sending')) st = 'sent';
    else if (traces.some((s) => kept.has(s.hex))) st = 'received';
    else st = traces.every((s) => this.checkpoints.covers(1, s.time)) ? 'proven' : 'received';
    if (rec.stays.length > rec.uploaded) return rec.day >= today ? 'recording' : 'waiting';
    return st;
  }
}
