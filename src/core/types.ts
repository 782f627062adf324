/**
 * Plain data types of the protocol, in the paper's terms. Encodings live in src/core/codec/.
 * @module
 */

/** Minutes since 1970-01-01T00:00Z. The protocol's clock unit for stays. */
export type Minute = number;
/** Days since 1970-01-01 (UTC day number). `day = Math.floor(minute / 1440)`. */
export type Day = number;

/** Where a position came from (bit flags, may be combined). */
export const Source = {
  GNSS: 1,
  WIFI: 2,
  CELL: 4,
  BEACON: 8,
  VENUE_QR: 16,
  /**
   * Not a receiver: the stay is a **route stay** (wire flag bit 5, docs/PROTOCOL.md §11.2, §11.5):
   * the person was moving through it; its centre is their position at the middle of its time and
   * its radius includes the path walked. Set by the recorder, never on venue stays.
   */
  ROUTE: 32,
} as const;

/** Location precision the user chose; coordinates are snapped to a grid of this size before sealing. */
export const Precision = {
  /** As measured (1e-7 degree fixed point). */
  EXACT: 0,
  /** Snapped to a ~10 m grid. */
  M10: 1,
  /** Snapped to a ~100 m grid. */
  M100: 2,
} as const;
export type PrecisionLevel = (typeof Precision)[keyof typeof Precision];

/** Grid size in metres of each precision level (0 for exact). */
export const PRECISION_METRES: Record<PrecisionLevel, number> = { 0: 0, 1: 10, 2: 100 };

/**
 * A stay: "within `radius` metres of this point from `start` for `minutes`" (DESIGN §4).
 * Either a position (latE7/lonE7) or a venue check-in (`venue`, 16 hex chars = 64-bit venue id).
 * A stay never crosses a UTC midnight (the recorder splits it), and lasts 1–30 minutes
 * when made by the recorder (the codec allows up to the end of the day).
 */
export interface Stay {
  /** Start, minutes since the Unix epoch (UTC). */
  start: Minute;
  /** Duration in whole minutes, ≥ 1. */
  minutes: number;
  /** Latitude in 1e-7 degrees (integer, −900000000..900000000). 0 for venue stays. */
  latE7: number;
  /** Longitude in 1e-7 degrees (integer, −1800000000..1800000000). 0 for venue stays. */
  lonE7: number;
  /** Radius / accuracy in metres (0..65535). */
  radius: number;
  /** Source bit flags (see `Source`). */
  source: number;
  /** Precision the coordinates were snapped to. */
  precision: PrecisionLevel;
  /** Venue id (16 lower-case hex characters) for venue check-ins; absent for positions. */
  venue?: string;
}

/** A raw position fix as the Geolocation API (or a trace file) gives it. */
export interface Fix {
  /** Milliseconds since the Unix epoch. */
  t: number;
  lat: number;
  lon: number;
  /** Accuracy radius in metres. */
  acc: number;
  /** Source bit flags; GNSS when unknown. */
  source?: number;
}

/** Risk levels, in increasing order. */
export type RiskLevel = 'none' | 'low' | 'high';
export const RISK_CODE: Record<RiskLevel, number> = { none: 0, low: 1, high: 2 };
export const RISK_NAME: RiskLevel[] = ['none', 'low', 'high'];

/** The two chains of the ledger. */
export const Chain = { TRACING: 1, NOTIFICATION: 2 } as const;
export type ChainId = (typeof Chain)[keyof typeof Chain];

/** Day number of a time in ms. @example dayOfMs(Date.UTC(1970, 0, 2)) === 1 */
export function dayOfMs(ms: number): Day {
  return Math.floor(ms / 86_400_000);
}
/** ISO date of a day number. @example isoDay(0) === '1970-01-01' */
export function isoDay(day: Day): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}
