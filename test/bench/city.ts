/**
 * A synthetic city for the benchmarks: N users, one day, exactly 28 stays per user-day (the paper's
 * load): 14 half-hour stays at home overnight, 12 at a desk, 2 at a venue. Homes hold households
 * of 1–4 on a 20 m lattice, workplaces 40 desks within ~20 m, venues ~30 visitors at a time —
 * so the matcher meets realistic crowding. Produces real sealed trace batch blocks.
 * @module
 */
import type { CryptoProvider } from '../../src/core/crypto.ts';
import { UserKeys } from '../../src/core/keys.ts';
import { snapE7 } from '../../src/core/geo.ts';
import { traceBatchBlock } from '../../src/core/blocks.ts';
import { Prng } from '../../src/core/prng.ts';
import { Precision, Source, type Stay } from '../../src/core/types.ts';

export const DAY = Math.floor(Date.UTC(2026, 2, 2) / 86_400_000);
const LAT0 = 558_000_000;
const LON0 = -43_000_000;
const M_LAT = 1e7 / 111_195;
const M_LON = M_LAT / Math.cos((55.8 * Math.PI) / 180);

function spot(r: Prng, xMax: number, yMax: number, grid: number): [number, number] {
  return [Math.round((Math.floor(r.next() * (xMax / grid)) * grid) * M_LON), Math.round((Math.floor(r.next() * (yMax / grid)) * grid) * M_LAT)];
}

function stays(home: [number, number], desk: [number, number], venue: [number, number], venueHour: number): Stay[] {
  const out: Stay[] = [];
  const put = (p: [number, number], fromMin: number, n: number) => {
    const s = snapE7(LAT0 + p[1], LON0 + p[0], Precision.M10);
    for (let i = 0; i < n; i++) out.push({ start: DAY * 1440 + fromMin + i * 30, minutes: 30, latE7: s.latE7, lonE7: s.lonE7, radius: 10, source: Source.GNSS, precision: Precision.M10 });
  };
  put(home, 0, 14);
  put(desk, 9 * 60, 12);
  put(venue, venueHour * 60, 2);
  return out;
}

export interface CityDay {
  keys: UserKeys[];
  stays: Stay[][];
}

/** Users and their stays (no crypto yet). */
export function makeCity(n: number, seed: number, c: CryptoProvider): CityDay {
  const r = new Prng(seed);
  const side = Math.sqrt(n) * 35; // metres: ~1 household lot per 20 m × 20 m, mixed with other uses
  const homes: [number, number][] = [];
  const desks: [number, number][] = [];
  const venues: [number, number][] = Array.from({ length: Math.ceil(n / 30) }, () => spot(r, side, side, 50));
  const workplaces: [number, number][] = Array.from({ length: Math.ceil(n / 40) }, () => spot(r, side, side, 100));
  const keys: UserKeys[] = [];
  const all: Stay[][] = [];
  for (let u = 0; u < n; u++) {
    if (u === 0 || r.chance(0.45)) homes.push(spot(r, side, side, 20));
    const home = homes[homes.length - 1];
    const w = workplaces[r.int(workplaces.length)];
    desks.push([w[0] + Math.round(r.range(-20, 20) * M_LON), w[1] + Math.round(r.range(-20, 20) * M_LAT)]);
    const v = venues[r.int(venues.length)];
    keys.push(new UserKeys(c, r.bytes(32)));
    all.push(stays(home, desks[u], [v[0] + Math.round(r.range(-4, 4) * M_LON), v[1] + Math.round(r.range(-4, 4) * M_LAT)], 18 + r.int(4)));
  }
  return { keys, stays: all };
}

/** Seal every user-day into a trace batch block. */
export function sealCity(c: CryptoProvider, city: CityDay, a: { epoch: number; epochPub: Uint8Array; timeSec: number; powBits: number; region: number }): Uint8Array[] {
  return city.keys.map((k, u) => traceBatchBlock(c, k, { region: a.region, timeSec: a.timeSec, parents: [], day: DAY, part: 0, stays: city.stays[u], epoch: a.epoch, epochPub: a.epochPub, powBits: a.powBits }));
}
