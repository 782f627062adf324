/**
 * A whole BeepTrace deployment in one process: a CA, a certified diagnostician, a certified
 * solver, validators, and a full-node ledger with every acceptance rule on, on a settable clock.
 * Users are UserKeys; everything they and the authorities do goes through real blocks.
 * Used by `beeptrace sim`, the protocol tests and the benchmarks.
 *
 * @example
 * const w = await World.create({ crypto: nodeCrypto, startMs });
 * await w.upload(alice, day, stays);
 * await w.diagnose(alice, onset);
 * await w.runSolver();
 * w.selfMatch(bob.watch) // [{ day, level: 'high' }]
 * @module
 */
import type { CryptoProvider } from '../../core/crypto.ts';
import { toHex } from '../../core/bytes.ts';
import { Kind, decodeBlock, type Block } from '../../core/codec/block.ts';
import { decodeNotification, Role, type CheckpointBody, type RoleCode } from '../../core/codec/records.ts';
import {
  certificateBlock, checkpointBlock, diagnosisBlock, epochKeyBlock, newRoleKey, notificationBlock, policyBlock, revocationBlock, type RoleKey,
} from '../../core/blocks.ts';
import { badProofs } from '../../core/sealing.ts';
import { diagnosisDays, possessionProofs, selfReport, traceBatches, withdrawal } from '../../core/device.ts';
import { Ledger } from '../../core/ledger/ledger.ts';
import { DEFAULT_POLICY, epochOf, type Policy } from '../../core/policy.ts';
import type { EpochKeyPair, SolverOutput } from '../../core/solver.ts';
import { ExposureChecker, type OwnExposure } from '../../core/selfmatch.ts';
import type { TagSource, UserKeys } from '../../core/keys.ts';
import type { BuildingIndex } from '../../core/buildings.ts';
import { SolverRole } from '../roles/solver-role.ts';
import { ValidatorRole } from '../roles/validator-role.ts';
import { MemoryStore } from '../../store/memory-store.ts';
import { Chain, type ChainId, type Day, type Stay } from '../../core/types.ts';

export interface WorldOptions {
  crypto: CryptoProvider;
  /** Start of the clock, ms. */
  startMs: number;
  region?: number;
  policy?: Policy;
  buildings?: BuildingIndex;
  validators?: number;
}

export class World {
  readonly c: CryptoProvider;
  readonly region: number;
  readonly root: RoleKey;
  readonly diagnostician: RoleKey;
  readonly solver: RoleKey;
  readonly validators: RoleKey[];
  /** Epoch private keys: held by the solver; `destroyEpoch` removes one everywhere. */
  readonly epochKeys = new Map<number, EpochKeyPair>();
  readonly ledger: Ledger;
  readonly policy: Policy;
  nowMs: number;
  /** Bytes of every block accepted, by chain (for the bandwidth figures). */
  readonly bytesByChain = new Map<ChainId, number>([[Chain.TRACING, 0], [Chain.NOTIFICATION, 0]]);
  private solverRole?: SolverRole;
  buildings?: BuildingIndex;

  private constructor(o: WorldOptions) {
    this.c = o.crypto;
    this.region = o.region ?? 1;
    this.nowMs = o.startMs;
    this.policy = o.policy ?? DEFAULT_POLICY;
    this.buildings = o.buildings;
    this.root = newRoleKey(this.c);
    this.diagnostician = newRoleKey(this.c);
    this.solver = newRoleKey(this.c);
    this.validators = Array.from({ length: o.validators ?? 3 }, () => newRoleKey(this.c));
    this.ledger = new Ledger({
      crypto: this.c, store: new MemoryStore(), rootKey: this.root.publicKey, region: this.region,
      now: () => this.nowMs, carries: [Chain.TRACING, Chain.NOTIFICATION],
    });
    this.ledger.onBlock((e, b) => this.bytesByChain.set(e.chain, (this.bytesByChain.get(e.chain) ?? 0) + b.bytes.length));
  }

  /** A world whose CA has published the policy, the role certificates and the first epoch key. */
  static async create(o: WorldOptions): Promise<World> {
    const w = new World(o);
    await w.ledger.open();
    await w.publish(policyBlock(w.c, w.root, JSON.stringify(w.policy), w.common(Chain.NOTIFICATION)));
    const t = w.timeSec();
    const year = 366 * 86_400;
    await w.certify(w.diagnostician, Role.DIAGNOSTICIAN, 'City Clinic', t - 86_400, t + year);
    await w.certify(w.solver, Role.SOLVER, 'Regional Solver', t - 86_400, t + year);
    for (const [i, v] of w.validators.entries()) await w.certify(v, Role.VALIDATOR, `Validator ${i + 1}`, t - 86_400, t + year);
    await w.ensureEpoch(w.day());
    return w;
  }

  timeSec(): number {
    return Math.floor(this.nowMs / 1000);
  }
  day(): Day {
    return Math.floor(this.nowMs / 86_400_000);
  }
  /** Move the clock (never backwards). */
  advanceTo(ms: number): void {
    if (ms > this.nowMs) this.nowMs = ms;
  }
  private common(chain: ChainId) {
    return { region: this.region, timeSec: this.timeSec(), parents: this.ledger.tips(chain) };
  }

  /** Add a block through every acceptance rule. Throws the rule's error if it is rejected. */
  async publish(bytes: Uint8Array): Promise<Uint8Array> {
    const r = await this.ledger.add(bytes);
    if (r.status === 'pending') throw new Error('block unexpectedly pending');
    return r.id;
  }

  async certify(key: RoleKey, role: RoleCode, name: string, notBefore: number, notAfter: number): Promise<void> {
    await this.publish(certificateBlock(this.c, this.root, {
      serial: this.c.randomBytes(16), role, region: this.region, subject: key.publicKey, notBefore, notAfter, name,
    }, this.common(Chain.NOTIFICATION)));
  }

  /** The CA publishes the epoch key of `day` if it has not yet; the solver keeps the private half. */
  async ensureEpoch(day: Day): Promise<{ epoch: number; publicKey: Uint8Array }> {
    const epoch = epochOf(this.ledger.authority.policy, day);
    let kp = this.epochKeys.get(epoch);
    if (!kp && !this.ledger.authority.epochKey(epoch)) {
      const secretKey = this.c.randomBytes(32);
      kp = { secretKey, publicKey: this.c.x25519PublicKey(secretKey) };
      this.epochKeys.set(epoch, kp);
      await this.publish(epochKeyBlock(this.c, this.root, epoch, kp.publicKey, this.common(Chain.NOTIFICATION)));
    }
    const publicKey = this.ledger.authority.epochKey(epoch);
    if (!publicKey) throw new Error(`epoch ${epoch} has no key`);
    return { epoch, publicKey };
  }

  /**
   * The CA re-publishes its standing statements (policy, live certificates, revocations, epoch
   * keys still in use) so they stay inside every node's retention window: blocks older than the
   * window are pruned everywhere, CA statements included. Run at least once per window.
   */
  async refreshAuthority(): Promise<number> {
    const a = this.ledger.authority;
    const t = this.timeSec();
    const fromEpoch = epochOf(a.policy, this.day() - a.policy.retentionDays);
    const s = a.standing(t, fromEpoch);
    const blocks = [
      policyBlock(this.c, this.root, JSON.stringify(a.policy), this.common(Chain.NOTIFICATION)),
      ...s.certificates.map((cert) => certificateBlock(this.c, this.root, cert, this.common(Chain.NOTIFICATION))),
      ...s.revocations.map((r) => revocationBlock(this.c, this.root, { ...r, reason: 0 }, this.common(Chain.NOTIFICATION))),
      ...s.epochs.map((e) => epochKeyBlock(this.c, this.root, e.epoch, e.publicKey, this.common(Chain.NOTIFICATION))),
    ];
    for (const b of blocks) await this.publish(b);
    return blocks.length;
  }

  /** Crypto-shredding: the epoch private key is destroyed; its records become unreadable. */
  destroyEpoch(epoch: number): void {
    const kp = this.epochKeys.get(epoch);
    if (kp) {
      this.c.forgetSecret?.(kp.secretKey); // the provider's cached copy too
      kp.secretKey.fill(0);
    }
    this.epochKeys.delete(epoch);
  }

  /** A user's device uploads its stays of `day` (split into parts if they exceed the largest bucket: src/core/device.ts). Returns bytes uploaded. */
  async upload(keys: UserKeys, day: Day, stays: Stay[], firstPart = 0): Promise<number> {
    const { epoch, publicKey } = await this.ensureEpoch(day);
    const { blocks } = traceBatches(this.c, keys, {
      region: this.region, timeSec: this.timeSec(), day, stays, firstPart, epoch, epochPub: publicKey, powBits: this.ledger.authority.policy.pow.traceBits,
    });
    let bytes = 0;
    for (const block of blocks) {
      await this.publish(block);
      bytes += block.length;
    }
    return bytes;
  }

  /**
   * The possession-proof diagnosis: the diagnostician draws a challenge, the patient's device signs
   * it with each day key of the lookback window, the diagnostician checks every proof and
   * publishes a diagnosis sealed to the epoch key.
   */
  async diagnose(keys: UserKeys, onset: Day, lookback = this.ledger.authority.policy.lookbackDays): Promise<void> {
    const challenge = this.c.randomBytes(32);
    const today = this.day();
    const days = diagnosisDays(today, onset, lookback, this.ledger.authority.policy.retentionDays);
    const endorsed = possessionProofs(keys, days, this.diagnostician.publicKey, challenge);
    const bad = badProofs(this.c, endorsed, this.diagnostician.publicKey, challenge);
    if (bad.length) throw new Error(`possession proofs failed for days ${bad.join(', ')}`);
    const { epoch, publicKey } = await this.ensureEpoch(today);
    await this.publish(diagnosisBlock(this.c, this.diagnostician, {
      ...this.common(Chain.TRACING), epoch, epochPub: publicKey, onset, lookback, challenge, endorsed,
    }));
  }

  async selfReport(keys: UserKeys, onset: Day, days: Day[]): Promise<void> {
    const { epoch, publicKey } = await this.ensureEpoch(this.day());
    await this.publish(selfReport(this.c, keys, {
      region: this.region, timeSec: this.timeSec(), epoch, epochPub: publicKey, onset, days, powBits: this.ledger.authority.policy.pow.selfReportBits,
    }));
  }

  async withdraw(keys: UserKeys, day: Day): Promise<void> {
    await this.publish(withdrawal(this.c, keys, { region: this.region, timeSec: this.timeSec(), day, powBits: this.ledger.authority.policy.pow.withdrawalBits }));
  }

  /** The solver reads the tracing chain and publishes its notifications, signed. */
  async runSolver(): Promise<SolverOutput & { ms: number }> {
    this.solverRole ??= new SolverRole(this.c, this.ledger, this.solver, this.epochKeys, this.buildings);
    return this.solverRole.run(this.timeSec());
  }

  /** Validators checkpoint [fromSec, toSec) of a chain; `signers` of them sign (default all). Returns the body. */
  async checkpoint(chain: ChainId, fromSec: number, toSec: number, signers = this.validators.length): Promise<CheckpointBody> {
    let body: CheckpointBody | undefined;
    for (const v of this.validators.slice(0, signers)) {
      body = (await new ValidatorRole(this.c, this.ledger, v).checkpoint(chain, fromSec, toSec, this.timeSec())).body;
    }
    return body!;
  }

  /** Notification bodies on the chain, oldest first. */
  async notifications(): Promise<ReturnType<typeof decodeNotification>[]> {
    const out = [];
    for (const e of this.ledger.entries(Chain.NOTIFICATION)) {
      if (e.kind !== Kind.NOTIFICATION || !this.ledger.counts(e.hex)) continue;
      const bytes = await this.ledger.get(e.id);
      if (bytes) out.push(decodeNotification(decodeBlock(bytes).body));
    }
    return out;
  }

  /** What a user's device (or a guardian with the watch key) concludes from the notification chain. */
  async selfMatch(watch: TagSource): Promise<OwnExposure[]> {
    const checker = new ExposureChecker(this.c, watch);
    for (const n of await this.notifications()) checker.add(n);
    return checker.exposures();
  }

  /** Id hex of a block (helper for tests). */
  static hex(id: Uint8Array): string {
    return toHex(id);
  }
}
