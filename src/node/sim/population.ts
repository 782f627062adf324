/**
 * What the simulator runs on: named users, each with a time-ordered stream of raw events — GPS
 * fixes and venue check-ins — exactly what a phone's Geolocation API and QR scanner would give.
 * Both the synthetic city (mobility.ts) and trace replay (trace.ts) produce this.
 * @module
 */

export type SimEvent =
  | { kind: 'fix'; t: number; lat: number; lon: number; acc: number }
  | { kind: 'venue'; t: number; venue: string };

export interface Population {
  /** User names, in a stable order. */
  names: string[];
  /** First and last UTC day covered. */
  firstDay: number;
  lastDay: number;
  /** Events of one user, ordered by time. Called once per user (may be generated lazily). */
  events(user: number): SimEvent[];
}
