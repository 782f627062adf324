/**
 * Recording: 'fix' intents → the core's StayRecorder (at the precision the user chose) → closed
 * stays appended to their day's record. The recorder's snapshot (with the open stay) is written
 * after every accepted fix, so the open stay survives a reload; pausing closes it.
 *
 * @example
 * const r = new Recording(ctx); await r.load('10m');
 * await r.setOn(true); await r.fix({ t, lat, lon, acc });
 * @module
 */
import { StayRecorder } from '../../core/recorder.ts';
import { Precision, type Day, type Fix, type PrecisionLevel, type Stay } from '../../core/types.ts';
import type { PrecisionChoice } from '../protocol.ts';
import type { EngineCtx } from './context.ts';
import { K, readDay, readJson, writeDay, writeJson, type RecordingDoc } from './state.ts';

const PRECISION: Record<PrecisionChoice, PrecisionLevel> = { exact: Precision.EXACT, '10m': Precision.M10, '100m': Precision.M100 };

/** Append closed stays to their days' records (caller holds the lock). @example await appendStays(ctx, stays) */
export async function appendStays(ctx: EngineCtx, stays: Stay[]): Promise<void> {
  const byDay = new Map<Day, Stay[]>();
  for (const s of stays) {
    const d = Math.floor(s.start / 1440);
    byDay.set(d, [...(byDay.get(d) ?? []), s]);
  }
  for (const [day, list] of byDay) {
    const rec = await readDay(ctx.store, day);
    rec.stays.push(...list);
    await writeDay(ctx.store, rec);
  }
}

/** The recording part of the engine. @example new Recording(ctx) */
export class Recording {
  on = false;
  lastFixAt: number | null = null;
  private rec = new StayRecorder();

  constructor(private readonly ctx: EngineCtx) {}

  /** Restore from the store (the open stay included). @example await r.load('10m') */
  async load(precision: PrecisionChoice): Promise<void> {
    const doc = await readJson<RecordingDoc | null>(this.ctx.store, K.recording, null);
    this.rec = new StayRecorder({ precision: PRECISION[precision] });
    if (!doc) return;
    this.on = doc.on === true;
    this.lastFixAt = typeof doc.lastFixAt === 'number' ? doc.lastFixAt : null;
    if (doc.recorder) {
      try {
        this.rec.restore(doc.recorder);
      } catch {
        // a damaged snapshot loses at most the open stay; recording goes on
      }
    }
  }

  /** The stay being recorded (display only). */
  openStay(): Stay | null {
    return this.rec.openStay();
  }

  private persist(): Promise<void> {
    return writeJson(this.ctx.store, K.recording, { on: this.on, lastFixAt: this.lastFixAt, recorder: this.rec.snapshot() } satisfies RecordingDoc);
  }

  /**
   * One fix from the page. Ignored (false) while paused. Throws RangeError for a malformed fix.
   * @example await r.fix({ t: Date.now(), lat: 52.5, lon: 13.4, acc: 8 })
   */
  fix(fix: Fix): Promise<boolean> {
    return this.ctx.locked(async () => {
      // checked in at a venue: the venue stay stands for the place (a fix would end it)
      if (!this.on || this.openVenue() !== null) return false;
      const closed = this.rec.addFix(fix);
      this.lastFixAt = this.ctx.now();
      await appendStays(this.ctx, closed);
      await this.persist();
      this.ctx.changed();
      return true;
    });
  }

  /** The venue id of the open venue stay, or null. @example r.openVenue() === '00112233445566aa' */
  openVenue(): string | null {
    return this.rec.openStay()?.venue ?? null;
  }

  /** Start (or continue) a venue stay at `t` (src/app/engine/venue.ts checked the poster). @example await r.checkIn(venueId, now) */
  checkIn(venueId: string, t: number): Promise<void> {
    return this.ctx.locked(async () => {
      await appendStays(this.ctx, this.rec.checkIn(venueId, t));
      await this.persist();
      this.ctx.changed();
    });
  }

  /** End the open venue stay at `t`. @example await r.checkOut(now) */
  checkOut(t: number): Promise<void> {
    return this.ctx.locked(async () => {
      await appendStays(this.ctx, this.rec.checkOut(t));
      await this.persist();
      this.ctx.changed();
    });
  }

  /** Pause (closing the open stay now) or resume. @example await r.setOn(false) */
  setOn(on: boolean): Promise<void> {
    return this.ctx.locked(async () => {
      if (!on && this.on) await appendStays(this.ctx, this.rec.flush(this.ctx.now()));
      this.on = on;
      await this.persist();
      this.ctx.changed();
    });
  }

  /** New precision: the open stay is closed now, later stays use the new grid. @example await r.setPrecision('100m') */
  setPrecision(p: PrecisionChoice): Promise<void> {
    return this.ctx.locked(async () => {
      if (this.rec.openStay()) await appendStays(this.ctx, this.rec.flush(this.ctx.now()));
      const snap = this.rec.snapshot();
      this.rec = new StayRecorder({ precision: PRECISION[p] });
      this.rec.restore(snap);
      await this.persist();
      this.ctx.changed();
    });
  }

  /** Drop the open stay if it lies on `day` (the user deleted that day). Caller holds the lock. */
  async forgetOpenOn(day: Day): Promise<void> {
    const o = this.rec.openStay();
    if (!o || Math.floor(o.start / 1440) !== day) return;
    this.rec.restore({ ...this.rec.snapshot(), open: null });
    await this.persist();
  }
}
