/**
 * Exposure: every notification block the ledger accepts is self-matched on the device with the
 * watch key (src/core/selfmatch.ts); nobody learns who was named. An exposure (day, level) not
 * seen before becomes an alert — kept in the store, listed forever, and told as a `new-exposure`
 * event even when the status is already at risk (another day, or a higher level the same day).
 *
 * Status = the highest level among alerts whose advice period (exposure day + the policy's advice
 * days) has not ended. `checkedUpTo` = end of the latest final checkpoint of the notification chain.
 *
 * @example
 * const x = new Exposure(ctx, tracker, (a) => emit(a)); await x.load();
 * x.state('de')
 * @module
 */
import { decodeBlock, Kind, type Block } from '../../core/codec/block.ts';
import { decodeNotification } from '../../core/codec/records.ts';
import { adviceFor } from '../../core/policy.ts';
import { ExposureChecker } from '../../core/selfmatch.ts';
import { Chain, dayOfMs, RISK_CODE, type RiskLevel } from '../../core/types.ts';
import type { Alert, ExposureState } from '../protocol.ts';
import type { EngineCtx } from './context.ts';
import type { CheckpointTracker } from './checkpoints.ts';
import { K, readJson, writeJson, type StoredAlert } from './state.ts';

/**
 * Self-match, alerts and status (see the module comment).
 * @example const x = new Exposure(ctx, tracker, (a) => notify(a)); await x.load(); x.state('en').status
 */
export class Exposure {
  private checker: ExposureChecker;
  private alerts: StoredAlert[] = [];
  lastCheckedAt: number | null = null;

  constructor(
    private readonly ctx: EngineCtx,
    private readonly checkpoints: CheckpointTracker,
    private readonly onNew: (a: StoredAlert) => void,
  ) {
    this.checker = new ExposureChecker(ctx.c, ctx.keys.watch);
  }

  /** Load the kept alerts and check every notification the ledger holds (keys may have changed). */
  async load(): Promise<void> {
    this.alerts = await readJson<StoredAlert[]>(this.ctx.store, K.alerts, []);
    this.lastCheckedAt = (await readJson<{ lastCheckedAt: number | null }>(this.ctx.store, K.exposure, { lastCheckedAt: null })).lastCheckedAt;
    this.checker = new ExposureChecker(this.ctx.c, this.ctx.keys.watch);
    const found: Block[] = [];
    for (const e of this.ctx.net.ledger.entries(Chain.NOTIFICATION)) {
      if (e.kind !== Kind.NOTIFICATION || !this.ctx.net.ledger.counts(e.hex)) continue; // a revoked solver's, unless sealed before (PROTOCOL §9.1)
      const bytes = await this.ctx.net.ledger.get(e.id);
      if (bytes) found.push(decodeBlock(bytes));
    }
    await this.ctx.locked(() => this.check(found));
  }

  /** A block was accepted: self-match it if it is a notification. */
  accepted(b: Block): void {
    if (b.kind !== Kind.NOTIFICATION) return;
    void this.ctx.locked(() => this.check([b])).catch(() => undefined);
  }

  /** Check blocks, keep new alerts, tell them. Caller holds the lock. */
  private async check(blocks: Block[]): Promise<void> {
    const fresh: StoredAlert[] = [];
    for (const b of blocks) {
      let level: Exclude<RiskLevel, 'none'> | null;
      let day: number;
      try {
        const n = decodeNotification(b.body);
        day = n.exposureDay;
        level = this.checker.add(n);
      } catch {
        continue; // a malformed set names nobody
      }
      if (!level || this.alerts.some((a) => a.day === day && RISK_CODE[a.level] >= RISK_CODE[level!])) continue;
      const a: StoredAlert = { day, level, foundAt: this.ctx.now() };
      this.alerts.push(a);
      fresh.push(a);
    }
    this.lastCheckedAt = this.ctx.now();
    if (fresh.length) await writeJson(this.ctx.store, K.alerts, this.alerts);
    await writeJson(this.ctx.store, K.exposure, { lastCheckedAt: this.lastCheckedAt });
    for (const a of fresh) this.onNew(a);
    this.ctx.changed();
  }

  /** An alert as the views show it, with the policy's advice in `lang`. */
  view(a: StoredAlert, lang: string): Alert {
    const adv = adviceFor(this.ctx.net.ledger.authority.policy, a.level, a.day, lang);
    return { day: a.day, level: a.level, foundAt: a.foundAt, adviceUntil: adv.until, advice: adv.text };
  }

  /** Every kept alert, for a backup. */
  stored(): StoredAlert[] {
    return this.alerts.map((a) => ({ ...a }));
  }

  state(lang: string): ExposureState {
    const today = dayOfMs(this.ctx.now());
    const alerts = this.alerts.map((a) => this.view(a, lang)).sort((x, y) => y.foundAt - x.foundAt || y.day - x.day);
    let status: RiskLevel = 'none';
    for (const a of alerts) if (a.adviceUntil >= today && RISK_CODE[a.level] > RISK_CODE[status]) status = a.level;
    return { status, lastCheckedAt: this.lastCheckedAt, checkedUpTo: this.checkpoints.latestEnd(Chain.NOTIFICATION), alerts };
  }
}
