/**
 * Venue check-in, the visitor's side (docs/APP.md §Venue check-in, docs/PROTOCOL.md §7.11):
 *
 * - `checkIn(text)`: a scanned poster is checked (src/core/venue.ts: signature, region, a VENUE
 *   certificate not expired and not revoked on this device's own synced notification chain);
 *   then the recorder starts a venue stay under the venue id, and the check-in is kept
 *   (`venue/checkin`: id, name, since, until) so it survives a reload;
 * - `checkOut()`: the person leaves; the venue stay closes now;
 * - `expire()`: at the poster's default duration after the scan the app checks out by itself,
 *   at exactly that time (run on a short timer and before every intent, so a moved clock counts).
 *
 * While checked in, position fixes are not recorded: the venue stay stands for the place (a fix
 * would end it, src/core/recorder.ts). Pausing recording closes the venue stay too, and then the
 * check-in is over.
 *
 * @example
 * const v = new Venue(ctx, recording); await v.load();
 * const c = await v.checkIn(posterText); // throws VenueError / CodecError
 * await v.checkOut();
 * @module
 */
import { checkPoster } from '../../core/venue.ts';
import type { CheckinState } from '../protocol.ts';
import type { EngineCtx } from './context.ts';
import type { Recording } from './recording.ts';
import { readJson, writeJson } from './state.ts';

const KEY = 'venue/checkin';
/** How often the engine looks whether a check-in ran out, ms. @example setInterval(() => void venue.expire(), CHECKIN_POLL_MS) */
export const CHECKIN_POLL_MS = 2000;

function isCheckin(v: unknown): v is CheckinState {
  const o = v as CheckinState;
  return !!o && typeof o === 'object' && typeof o.venueId === 'string' && /^[0-9a-f]{16}$/.test(o.venueId) && typeof o.name === 'string' &&
    Number.isFinite(o.since) && Number.isFinite(o.until) && o.until > o.since;
}

/** See the module comment. @example const v = new Venue(ctx, recording); await v.load(); v.state()?.name */
export class Venue {
  private current: CheckinState | null = null;

  constructor(private readonly ctx: EngineCtx, private readonly recording: Recording) {}

  /** Read the kept check-in (a damaged one is forgotten). */
  async load(): Promise<void> {
    const v = await readJson<unknown>(this.ctx.store, KEY, null);
    this.current = isCheckin(v) ? v : null;
  }

  /** The open check-in, or null (also when the venue stay ended otherwise: pausing, a restored backup). */
  state(): CheckinState | null {
    const c = this.current;
    return c && this.recording.openVenue() === c.venueId ? { ...c } : null;
  }

  /** Check a scanned poster and check in. Re-scanning the venue already checked in restarts its default duration. */
  async checkIn(text: string): Promise<CheckinState> {
    if (typeof text !== 'string') throw new TypeError('checkin: text must be a string');
    await this.expire();
    const now = this.ctx.now();
    const p = checkPoster(this.ctx.c, text, { authority: this.ctx.net.ledger.authority, region: this.ctx.region, nowSec: Math.floor(now / 1000) });
    const same = this.state()?.venueId === p.venueId;
    const c: CheckinState = { venueId: p.venueId, name: p.name, since: same ? this.current!.since : now, until: now + p.minutes * 60_000 };
    await this.recording.checkIn(p.venueId, now);
    this.current = c;
    await writeJson(this.ctx.store, KEY, c);
    this.ctx.changed();
    return { ...c };
  }

  /** Check out now (nothing to do when not checked in). */
  async checkOut(): Promise<void> {
    await this.end(this.ctx.now());
  }

  /** Check out by itself once the default duration has passed, at that time. */
  async expire(): Promise<void> {
    const c = this.current;
    if (!c) return;
    if (this.recording.openVenue() !== c.venueId) {
      this.current = null;
      await writeJson(this.ctx.store, KEY, null);
      this.ctx.changed();
    } else if (this.ctx.now() >= c.until) await this.end(c.until);
  }

  private async end(t: number): Promise<void> {
    const c = this.current;
    if (!c) return;
    if (this.recording.openVenue() === c.venueId) await this.recording.checkOut(Math.min(t, c.until));
    this.current = null;
    await writeJson(this.ctx.store, KEY, null);
    this.ctx.changed();
  }
}
