/**
 * StayRecorder: raw position fixes and venue check-ins in, stays out (DESIGN: "a new stay starts
 * when the user moves beyond a radius, and a stay is closed at 30 minutes at most; no records
 * while the position does not change beyond the current stay").
 *
 * Rules, and why:
 * - **Anchor = the first fix of the stay.** A fix farther than `radiusMetres` from the anchor
 *   closes the stay at that fix's time and starts a new one there (moving). Testing against a
 *   fixed anchor, not a running mean, keeps a slow walk from dragging one stay along a street.
 * - **Centre = the mean of the stay's fixes; radius = their root-mean-square distance from it**
 *   (at least the best fix accuracy). The matcher uses the radius as the person's spread around
 *   the centre (docs/PROTOCOL.md §11.2): it estimates where the person was, it does not bound it.
 *   A single fix is as noisy as the receiver (~3 m per axis); the mean of a half-hour's fixes is
 *   not, and two people at one table no longer miss each other by their first fixes' noise.
 * - **Coarse fixes** (accuracy worse than `maxAccuracyMetres`, default 3 × radius) are ignored
 *   entirely: a 1 km circle can neither tell that the user moved nor that they stayed, and
 *   recording it would match a whole district (false alarms). They behave like missing fixes.
 * - **Gap**: with no fix for longer than `gapMinutes`, the stay ends at last fix + gap; we cannot
 *   assume the user stayed. **Except** when the next fix, at most `bridgeMinutes` (default 60)
 *   after the last one, is within the radius of the anchor again: a phone whose browser wakes the
 *   page only now and then saw a person who never left, and the stay continues across the gap
 *   (a 90-minute visit seen every 30 minutes is credited 90 minutes, not 3 × 10).
 * - **Venues**: `checkIn` starts a venue stay that ends at the next accepted fix, check-in (of
 *   another venue: re-scanning the same one just continues it), `checkOut`, `flush`, or at the
 *   latest `maxVenueMinutes` after the last scan, so a forgotten check-out is not days of presence.
 * - **Cuts**: a stay is cut every `maxStayMinutes` (≤ 30) and at UTC midnight; the rest continues
 *   as a new stay at the same place, so 2 h stationary = four 30-min stays.
 * - **Minutes**: a stay opened at time t starts at minute floor(t), but never before the end of the
 *   last emitted stay; a stay closed at time t ends at minute round(t); cuts fall on whole minutes.
 *   So consecutive stays share their boundary minute (no overlap, no double count, no hole), and a
 *   stay of 0 minutes, the only kind under 1 minute, is dropped without losing any minute.
 * - **Time order**: fixes with t ≤ the last event time are ignored (late or duplicate);
 *   check-in / check-out / flush times before it are moved up to it (a scan is never lost).
 *
 * @example
 * const rec = new StayRecorder({ precision: Precision.M10 });
 * for (const fix of fixes) publish(rec.addFix(fix));
 * publish(rec.flush(nowMs)); // app going to background (time comes from the caller)
 * @module
 */
import { distanceMetres, snapE7, toE7 } from './geo.ts';
import { Precision, PRECISION_METRES, Source, type Fix, type PrecisionLevel, type Stay } from './types.ts';

/** Options of `StayRecorder`; all optional. @example new StayRecorder({ radiusMetres: 50 }) */
export interface StayRecorderOptions {
  /** Moving farther than this from the stay's centre starts a new stay. Default 25. */
  radiusMetres?: number;
  /** Longest stay, whole minutes in 1..30 (the paper's "address every 30 minutes"). Default 30. */
  maxStayMinutes?: number;
  /** No fix for longer than this (minutes, 1..1440) ends the stay at last fix + gap. Default 10. */
  gapMinutes?: number;
  /** A gap up to this long (minutes, 0..1440) is bridged when the next fix is at the same place. Default 60. */
  bridgeMinutes?: number;
  /** Grid the published coordinates are snapped to. Default `Precision.M10`. */
  precision?: PrecisionLevel;
  /** Fixes with a worse accuracy are ignored. Default 3 × radiusMetres. */
  maxAccuracyMetres?: number;
  /** A venue stay without check-out ends this long after the last scan. Default 240. */
  maxVenueMinutes?: number;
}

const MIN_MS = 60_000;
/** A one-fix piece left within this many minutes is a route stay (see `routeStay`). */
const ROUTE_MINUTES = 2;
const DAY_MIN = 1440;
const NO_FIXES = { n: 0, sumX: 0, sumY: 0, sumSq: 0, minAcc: Infinity, firstT: 0, firstX: 0, firstY: 0 };
const M_PER_E7 = (6_371_008.8 * Math.PI) / 180 / 1e7;

/** Metres east and north of `b` from `a` (local plane; stays are metres across). */
function offsetMetres(latA: number, lonA: number, latB: number, lonB: number): [number, number] {
  let dLon = lonB - lonA;
  if (dLon > 1_800_000_000) dLon -= 3_600_000_000;
  else if (dLon < -1_800_000_000) dLon += 3_600_000_000;
  return [dLon * M_PER_E7 * Math.cos((latA * Math.PI) / 180 / 1e7), (latB - latA) * M_PER_E7];
}
/** The point `x` metres east and `y` north of (lat, lon), in E7, clamped to the valid range. */
function shiftE7(latE7: number, lonE7: number, x: number, y: number): [number, number] {
  const lat = Math.max(-900_000_000, Math.min(900_000_000, Math.round(latE7 + y / M_PER_E7)));
  let lon = Math.round(lonE7 + x / (M_PER_E7 * Math.max(1e-9, Math.cos((latE7 * Math.PI) / 180 / 1e7))));
  if (lon > 1_800_000_000) lon -= 3_600_000_000;
  else if (lon < -1_800_000_000) lon += 3_600_000_000;
  return [lat, lon];
}

/** The stay being recorded (also the open stay of a `RecorderSnapshot`). */
export interface Open {
  startMin: number;
  /** Minute at which it is cut: start + maxStay, or the next UTC midnight if sooner. */
  cutMin: number;
  /** Time at which it ends by itself: last fix + gap, or last scan + maxVenue. */
  expiresMs: number;
  /** Anchor: the first fix, unsnapped (the moving test uses it). */
  latE7: number;
  lonE7: number;
  /** Fixes of the current piece (since the last cut), as metres east / north of the anchor. */
  n: number;
  sumX: number;
  sumY: number;
  sumSq: number;
  /** Best (smallest) accuracy seen in the piece, metres. */
  minAcc: number;
  /** Time (ms) and offset (metres from the anchor) of the piece's first fix, for a route stay. Absent in older snapshots. */
  firstT?: number;
  firstX?: number;
  firstY?: number;
  /** Centre and radius of the last piece with fixes, for a piece without any (a cut, then a gap). */
  lastLatE7: number;
  lastLonE7: number;
  lastRadius: number;
  source: number;
  venue?: string;
}

function finite(v: unknown, name: string): number {
  if (typeof v !== 'number') throw new TypeError(`StayRecorder: ${name} must be a number, got ${typeof v}`);
  if (!Number.isFinite(v)) throw new RangeError(`StayRecorder: ${name} must be finite, got ${v}`);
  return v;
}
function inRange(v: unknown, lo: number, hi: number, name: string): number {
  const x = finite(v, name);
  if (x < lo || x > hi) throw new RangeError(`StayRecorder: ${name} must be in [${lo}, ${hi}], got ${x}`);
  return x;
}
function sourceBits(v: unknown, name: string): number {
  if (v !== undefined && (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 31)) throw new RangeError(`StayRecorder: ${name} must be Source bits, an integer in [0, 31], got ${v}`);
  return (v as number | undefined) || Source.GNSS; // 0 / absent = unknown, which Fix documents as GNSS
}

/**
 * Turns a stream of fixes and venue scans into stays (see the module comment for the rules).
 * Every method returns the stays it closed, oldest first, ready to seal.
 * @example
 * const rec = new StayRecorder();
 * for (let m = 0; m < 60; m++) rec.addFix({ t: m * 60_000, lat: 48.85, lon: 2.35, acc: 8 });
 * rec.flush(3_600_000); // the second 30-minute stay (the first came out of addFix at minute 30)
 */
export class StayRecorder {
  private readonly radiusMetres: number;
  private readonly maxStayMinutes: number;
  private readonly gapMs: number;
  private readonly bridgeMs: number;
  private readonly precision: PrecisionLevel;
  private readonly maxAccuracyMetres: number;
  private readonly maxVenueMs: number;
  private open: Open | null = null;
  /** Time of the latest event; older fixes are ignored. */
  private lastT = -Infinity;
  /** End minute of the last emitted stay; no stay may start before it. */
  private cursorMin = -Infinity;

  constructor(options: StayRecorderOptions = {}) {
    this.radiusMetres = inRange(options.radiusMetres ?? 25, 1, 65535, 'radiusMetres');
    this.maxStayMinutes = inRange(options.maxStayMinutes ?? 30, 1, 30, 'maxStayMinutes');
    if (!Number.isInteger(this.maxStayMinutes)) throw new RangeError(`StayRecorder: maxStayMinutes must be whole, got ${this.maxStayMinutes}`);
    this.gapMs = inRange(options.gapMinutes ?? 10, 1, 1440, 'gapMinutes') * MIN_MS;
    this.bridgeMs = inRange(options.bridgeMinutes ?? 60, 0, 1440, 'bridgeMinutes') * MIN_MS;
    this.precision = options.precision ?? Precision.M10;
    if (PRECISION_METRES[this.precision] === undefined) throw new RangeError(`StayRecorder: unknown precision ${this.precision}`);
    this.maxAccuracyMetres = options.maxAccuracyMetres ?? 3 * this.radiusMetres;
    if (!(this.maxAccuracyMetres >= 0)) throw new RangeError(`StayRecorder: maxAccuracyMetres must be ≥ 0 (Infinity keeps all), got ${this.maxAccuracyMetres}`);
    this.maxVenueMs = inRange(options.maxVenueMinutes ?? 240, 1, 1440, 'maxVenueMinutes') * MIN_MS;
  }

  /**
   * Feed one fix. Throws RangeError naming the field on NaN / out-of-range lat, lon, t, or a
   * negative / NaN accuracy. Returns the stays this fix closed (possibly several: cuts, a gap).
   * @example rec.addFix({ t: Date.UTC(2020, 4, 1, 9), lat: 51.5, lon: -0.12, acc: 10 })
   */
  addFix(fix: Fix): Stay[] {
    const t = finite(fix.t, 'fix.t');
    const lat = inRange(fix.lat, -90, 90, 'fix.lat');
    const lon = inRange(fix.lon, -180, 180, 'fix.lon');
    if (typeof fix.acc !== 'number' || !(fix.acc >= 0)) throw new RangeError(`StayRecorder: fix.acc must be a number ≥ 0, got ${fix.acc}`);
    const source = sourceBits(fix.source, 'fix.source');
    if (t <= this.lastT || fix.acc > this.maxAccuracyMetres) return [];
    this.lastT = t;
    const latE7 = toE7(lat, 'lat');
    const lonE7 = toE7(lon, 'lon');
    const b = this.open;
    // sparse fixes: back at the anchor after a gap of at most bridgeMinutes → the stay never ended
    if (b && b.venue === undefined && t > b.expiresMs && t - (b.expiresMs - this.gapMs) <= this.bridgeMs && distanceMetres(b.latE7, b.lonE7, latE7, lonE7) <= this.radiusMetres) b.expiresMs = t;
    const out = this.advance(t);
    const o = this.open;
    if (o && (o.venue !== undefined || distanceMetres(o.latE7, o.lonE7, latE7, lonE7) > this.radiusMetres)) {
      if (o.venue === undefined) this.routeStay(o, t, latE7, lonE7);
      this.closeAt(out, t);
    }
    if (!this.open) this.start(t, t + this.gapMs, { ...NO_FIXES, latE7, lonE7, lastLatE7: latE7, lastLonE7: lonE7, lastRadius: 0, source });
    const o2 = this.open!;
    o2.expiresMs = t + this.gapMs;
    o2.source |= source;
    const [x, y] = offsetMetres(o2.latE7, o2.lonE7, latE7, lonE7);
    o2.n++;
    if (o2.n === 1) Object.assign(o2, { firstT: t, firstX: x, firstY: y });
    o2.sumX += x;
    o2.sumY += y;
    o2.sumSq += x * x + y * y;
    o2.minAcc = Math.min(o2.minAcc, fix.acc);
    return out;
  }

  /**
   * Start a venue stay (QR scan or beacon), closing any open stay. `venueId` is 16 hex characters
   * (stored lower-case). Scanning the venue already checked in continues its stay.
   * @example rec.checkIn('00112233445566aa', scannedAtMs)
   */
  checkIn(venueId: string, tMs: number, source: number = Source.VENUE_QR): Stay[] {
    if (typeof venueId !== 'string' || !/^[0-9a-fA-F]{16}$/.test(venueId)) throw new RangeError(`StayRecorder: venueId must be 16 hex characters, got ${JSON.stringify(venueId)}`);
    const venue = venueId.toLowerCase();
    const bits = sourceBits(source, 'source');
    const t = this.catchUp(tMs, 'tMs');
    const out = this.advance(t);
    if (this.open?.venue === venue) {
      this.open.expiresMs = t + this.maxVenueMs;
      this.open.source |= bits;
      return out;
    }
    this.closeAt(out, t);
    this.start(t, t + this.maxVenueMs, { ...NO_FIXES, latE7: 0, lonE7: 0, lastLatE7: 0, lastLonE7: 0, lastRadius: 0, source: bits, venue });
    return out;
  }

  /** End the open venue stay at `tMs` (a position stay is left alone). @example rec.checkOut(tMs) */
  checkOut(tMs: number): Stay[] {
    const t = this.catchUp(tMs, 'tMs');
    const out = this.advance(t);
    if (this.open?.venue !== undefined) this.closeAt(out, t);
    return out;
  }

  /** Close the open stay at `tMs` (app going to background, end of a trace). @example rec.flush(tMs) */
  flush(tMs: number): Stay[] {
    const t = this.catchUp(tMs, 'tMs');
    const out = this.advance(t);
    this.closeAt(out, t);
    return out;
  }

  /**
   * The stay being recorded, for display only: it may still be cut, shortened or dropped.
   * `minutes` counts up to the latest event, and at least 1 (the minute in progress).
   * @example rec.openStay()?.venue
   */
  openStay(): Stay | null {
    const o = this.open;
    return o && this.toStay(o, Math.max(1, Math.round(this.lastT / MIN_MS) - o.startMin));
  }

  private catchUp(tMs: number, name: string): number {
    this.lastT = Math.max(finite(tMs, name), this.lastT);
    return this.lastT;
  }

  private start(t: number, expiresMs: number, place: Omit<Open, 'startMin' | 'cutMin' | 'expiresMs'>): void {
    const startMin = Math.max(Math.floor(t / MIN_MS), this.cursorMin);
    this.open = { ...place, startMin, cutMin: this.cutOf(startMin), expiresMs };
  }

  private cutOf(startMin: number): number {
    return Math.min(startMin + this.maxStayMinutes, (Math.floor(startMin / DAY_MIN) + 1) * DAY_MIN);
  }

  /** Apply what happened by itself before `t`: expiry (gap / venue limit), then cuts. */
  private advance(t: number): Stay[] {
    const out: Stay[] = [];
    const o = this.open;
    if (!o) return out;
    if (t > o.expiresMs) this.closeAt(out, o.expiresMs);
    else while (o.cutMin * MIN_MS <= t) this.cut(out, o);
    return out;
  }

  private cut(out: Stay[], o: Open): void {
    this.emit(out, o, o.cutMin);
    this.settle(o);
    o.startMin = o.cutMin;
    o.cutMin = this.cutOf(o.startMin);
  }

  private closeAt(out: Stay[], endMs: number): void {
    const o = this.open;
    if (!o) return;
    while (o.cutMin * MIN_MS < endMs) this.cut(out, o);
    this.emit(out, o, Math.round(endMs / MIN_MS)); // ≤ cutMin, since endMs ≤ cutMin's time
    this.open = null;
  }

  private emit(out: Stay[], o: Open, endMin: number): void {
    if (endMin - o.startMin < 1) return;
    out.push(this.toStay(o, endMin - o.startMin));
    this.cursorMin = endMin;
  }

  /**
   * A piece left within `ROUTE_MINUTES` of its start by a fix beyond the radius is a **route
   * stay** (docs/PROTOCOL.md §11.5): the person walked from its first fix to the departing one
   * during it (one fix a minute: one fix; a fix a second: the ~20 s it takes to walk 25 m). Its
   * centre becomes their position at the middle of the stay's time, interpolated along that path,
   * so two people walking together publish nearly the same centre whatever their fixes' seconds;
   * its radius becomes the root-mean-square distance from that centre over the path (length L:
   * L²/12) and the fix's accuracy, the spread a stationary person sees them at. Flag `Source.ROUTE`.
   */
  private routeStay(o: Open, t: number, latE7: number, lonE7: number): void {
    const endMin = Math.round(t / MIN_MS);
    const t0 = o.firstT;
    if (o.n < 1 || t0 === undefined || endMin - o.startMin > ROUTE_MINUTES || o.cutMin < endMin || !(t > t0)) return;
    const [x1, y1] = offsetMetres(o.latE7, o.lonE7, latE7, lonE7);
    const x0 = o.firstX ?? 0, y0 = o.firstY ?? 0;
    const mid = ((o.startMin + endMin) / 2) * MIN_MS;
    const f = Math.max(0, Math.min(1, (mid - t0) / (t - t0)));
    const cx = x0 + f * (x1 - x0), cy = y0 + f * (y1 - y0);
    const l2 = (x1 - x0) ** 2 + (y1 - y0) ** 2;
    const acc = Number.isFinite(o.minAcc) ? o.minAcc : 0;
    // the piece's mean becomes the centre and its rms² becomes L²/12 + acc²
    o.sumX = o.n * cx;
    o.sumY = o.n * cy;
    o.sumSq = o.n * (cx * cx + cy * cy + l2 / 12 + acc * acc);
    o.minAcc = 0;
    o.source |= Source.ROUTE;
  }

  /** Fold the piece's fixes into its centre and radius (kept for a next piece without fixes) and start a new piece. */
  private settle(o: Open): void {
    if (o.n === 0) return;
    const mx = o.sumX / o.n;
    const my = o.sumY / o.n;
    const [lat, lon] = shiftE7(o.latE7, o.lonE7, mx, my);
    o.lastLatE7 = lat;
    o.lastLonE7 = lon;
    const rms = Math.sqrt(Math.max(0, o.sumSq / o.n - mx * mx - my * my));
    // the spread seen, or for fixes that barely differ the receiver error of their mean
    o.lastRadius = Math.min(65535, Math.round(Math.max(rms, o.minAcc / Math.sqrt(o.n))));
    Object.assign(o, NO_FIXES);
  }

  private toStay(o: Open, minutes: number): Stay {
    const piece = { ...o };
    this.settle(piece);
    const snap = o.venue === undefined ? snapE7(piece.lastLatE7, piece.lastLonE7, this.precision) : { latE7: 0, lonE7: 0 };
    const s: Stay = {
      start: o.startMin,
      minutes,
      latE7: snap.latE7,
      lonE7: snap.lonE7,
      radius: piece.lastRadius,
      source: o.source,
      // Venue stays carry no coordinates, so nothing was snapped.
      precision: o.venue === undefined ? this.precision : Precision.EXACT,
    };
    if (o.venue !== undefined) s.venue = o.venue;
    return s;
  }

  // ───────── persistence (the app keeps the open stay across a reload) ─────────

  /**
   * The recorder's state as plain JSON-safe data: the open stay, the latest event time and the
   * end of the last emitted stay. Restoring it into a recorder with the same options continues
   * exactly where this one was.
   * @example localStorage.x = JSON.stringify(rec.snapshot()); later.restore(JSON.parse(localStorage.x))
   */
  snapshot(): RecorderSnapshot {
    return {
      v: 2,
      // minAcc is Infinity until the stay's first fix (a venue stay has none): JSON has no Infinity
      open: this.open && { ...this.open, minAcc: Number.isFinite(this.open.minAcc) ? this.open.minAcc : null },
      lastT: Number.isFinite(this.lastT) ? this.lastT : null,
      cursorMin: Number.isFinite(this.cursorMin) ? this.cursorMin : null,
    };
  }

  /**
   * Continue from a `snapshot()`. Throws TypeError on anything that is not one of this version
   * (nothing changes then; the caller starts afresh).
   * @example rec.restore(saved)
   */
  restore(s: RecorderSnapshot): void {
    const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
    const o = s?.open as Record<string, unknown> | null | undefined;
    const okOpen = o === null || (typeof o === 'object' && o !== undefined &&
      OPEN_FIELDS.every((k) => num(o[k]) || (k === 'minAcc' && (o[k] === null || o[k] === Infinity))) &&
      (o.venue === undefined || typeof o.venue === 'string'));
    if (!s || s.v !== 2 || !okOpen || !(s.lastT === null || num(s.lastT)) || !(s.cursorMin === null || num(s.cursorMin))) {
      throw new TypeError('StayRecorder.restore: not a recorder snapshot of version 2');
    }
    this.open = s.open && { ...s.open, minAcc: s.open.minAcc ?? Infinity };
    this.lastT = s.lastT ?? -Infinity;
    this.cursorMin = s.cursorMin ?? -Infinity;
  }

}

/** The numeric fields of an open stay, checked by `restore`. */
const OPEN_FIELDS = ['startMin', 'cutMin', 'expiresMs', 'latE7', 'lonE7', 'n', 'sumX', 'sumY', 'sumSq', 'minAcc', 'lastLatE7', 'lastLonE7', 'lastRadius', 'source'] as const;

/** What `StayRecorder.snapshot()` returns (JSON-safe). @example const s: RecorderSnapshot = rec.snapshot() */
export interface RecorderSnapshot {
  v: 2;
  /** The open stay; `minAcc` is null before its first fix (Infinity in memory). */
  open: (Omit<Open, 'minAcc'> & { minAcc: number | null }) | null;
  lastT: number | null;
  cursorMin: number | null;
}
