/**
 * Self-match (docs/PROTOCOL.md §Notification): from the notification chain and a watch key, the
 * user's own exposures — computed on the device, so nobody learns who was notified. A guardian
 * holding only the watch key gets the same answer as the user.
 *
 * @example
 * const checker = new ExposureChecker(c, keys.watch);
 * for (const n of notifications) checker.add(n);
 * checker.exposures() // [{ day: 20514, level: 'high' }]
 * @module
 */
import type { CryptoProvider } from './crypto.ts';
import type { NotificationBody } from './codec/records.ts';
import type { TagSource } from './keys.ts';
import { TagSetIndex } from './tagset.ts';
import { RISK_NAME, type Day, type RiskLevel } from './types.ts';

export interface OwnExposure {
  day: Day;
  level: Exclude<RiskLevel, 'none'>;
}

export class ExposureChecker {
  private tags = new Map<Day, Uint8Array | null>();
  private found = new Map<Day, number>();
  /** Notification sets checked so far. */
  checked = 0;
  constructor(
    private readonly c: CryptoProvider,
    private readonly watch: TagSource,
  ) {}

  private tag(day: Day): Uint8Array | null {
    let t = this.tags.get(day);
    if (t === undefined) this.tags.set(day, (t = this.watch.tag(day)));
    return t;
  }

  /** Check one notification; returns the level if it names this user, else null. Throws CodecError for a malformed set. */
  add(n: NotificationBody): Exclude<RiskLevel, 'none'> | null {
    this.checked++;
    if ((this.found.get(n.exposureDay) ?? 0) >= n.level) return null;
    const tag = this.tag(n.exposureDay);
    if (!tag || !new TagSetIndex({ n: n.n, P: n.P, salt: n.salt, data: n.data }).has(this.c, tag)) return null;
    this.found.set(n.exposureDay, n.level);
    return RISK_NAME[n.level] as Exclude<RiskLevel, 'none'>;
  }

  /** Exposures found, one per day at its highest level, oldest first. */
  exposures(): OwnExposure[] {
    return [...this.found].sort((a, b) => a[0] - b[0]).map(([day, code]) => ({ day, level: RISK_NAME[code] as Exclude<RiskLevel, 'none'> }));
  }

  /** Overall status: the highest level of any exposure. */
  level(): RiskLevel {
    let best = 0;
    for (const v of this.found.values()) best = Math.max(best, v);
    return RISK_NAME[best];
  }
}
