/**
 * A Node.js full node: both chains of one region on disk (segment files, fsync'ed before a block
 * is acknowledged), every acceptance rule, and the duties of its role — `archive` (store and
 * serve), `validator` (sign checkpoints on a schedule), `solver` (match and publish
 * notifications on a schedule).
 *
 * Configuration lives in the data directory (docs/NODE.md):
 *   DIR/node.json   {"region": 1, "rootKey": "<CA root Ed25519 public key, hex>",
 *                    "roleKeyFile": "<key file of this node's certified key, beeptrace ca keygen>" (validator, solver),
 *                    "epochKeysFile": "<the CA's epoch hand-over file for this solver>" (solver)}
 *                   Paths are relative to DIR. The key file's passphrase comes from
 *                   BEEPTRACE_PASSPHRASE or a prompt (src/node/ca/secrets.ts). The older plain
 *                   forms "roleKey" (secret hex) and "epochKeys" ({"<epoch>": "<secret hex>"}) are
 *                   still read (npm start's local stack writes them).
 *   DIR/blocks/     the file store
 * A solver re-reads its hand-over file before every duty: epochs the CA shredded are dropped.
 *
 * @example
 * const node = await FullNode.open({ dir, role: 'archive', crypto: nodeCrypto });
 * const r = await node.ingest(bytes); // resolves once the block is on disk
 * await node.close();
 * @module
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CryptoProvider } from '../core/crypto.ts';
import { fromHex } from '../core/bytes.ts';
import { InputError } from '../core/errors.ts';
import { Role } from '../core/codec/records.ts';
import type { Ledger, AddResult } from '../core/ledger/ledger.ts';
import type { RoleKey } from '../core/blocks.ts';
import type { EpochKeyPair } from '../core/solver.ts';
import { openLedger } from '../net/assemble.ts';
import { openFileStore, type FileStore } from '../store/file-store.ts';
import { SolverRole } from './roles/solver-role.ts';
import { ValidatorRole } from './roles/validator-role.ts';

export type FullNodeRole = 'archive' | 'validator' | 'solver';

export interface NodeConfig {
  region: number;
  rootKey: Uint8Array;
  roleKey?: RoleKey;
  epochKeys: Map<number, EpochKeyPair>;
  /** The epoch hand-over file (absolute), re-read before each solver duty. */
  epochKeysFile?: string;
}

/** What the solver did, for the log and /metrics. @example node.solverStats.runs */
export interface SolverTotals {
  runs: number;
  stays: number;
  seconds: number;
  tags: number;
  blocks: number;
  alreadyPublished: number;
  lastRunAt: number | null;
  lastStaysPerSecond: number;
}

function hexField(o: Record<string, unknown>, k: string, len: number, file: string): Uint8Array {
  const v = o[k];
  if (typeof v !== 'string' || !new RegExp(`^[0-9a-f]{${2 * len}}$`).test(v)) throw new InputError('bad_config', `${file}: "${k}" must be ${len} bytes of lower-case hex`);
  return fromHex(v);
}

/**
 * Read and check DIR/node.json. Throws InputError naming the file and field. `passphrase` is
 * asked only when node.json names a key file.
 * @example await readNodeConfig(dir, nodeCrypto, 'solver', () => passphrase('the solver key'))
 */
export async function readNodeConfig(dir: string, c: CryptoProvider, role: FullNodeRole, passphrase?: () => Promise<string>): Promise<NodeConfig> {
  const file = join(dir, 'node.json');
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new InputError('bad_config', `${file}: ${(e as Error).message}`);
  }
  if (typeof o !== 'object' || o === null) throw new InputError('bad_config', `${file}: must be a JSON object`);
  for (const k of Object.keys(o)) if (!['region', 'rootKey', 'roleKey', 'roleKeyFile', 'epochKeys', 'epochKeysFile'].includes(k)) throw new InputError('bad_config', `${file}: unknown key "${k}"`);
  if (o.roleKey !== undefined && o.roleKeyFile !== undefined) throw new InputError('bad_config', `${file}: give "roleKeyFile" or "roleKey", not both`);
  if (o.epochKeys !== undefined && o.epochKeysFile !== undefined) throw new InputError('bad_config', `${file}: give "epochKeysFile" or "epochKeys", not both`);
  if (!Number.isInteger(o.region) || (o.region as number) < 0 || (o.region as number) > 0xfffe) throw new InputError('bad_config', `${file}: "region" must be an integer 0..65534`);
  const cfg: NodeConfig = { region: o.region as number, rootKey: hexField(o, 'rootKey', 32, file), epochKeys: new Map() };
  if (role !== 'archive' && typeof o.roleKeyFile === 'string') {
    const { readRoleKey, passphrase: ask } = await import('./ca/secrets.ts');
    const k = await readRoleKey(c, resolve(dir, o.roleKeyFile), await (passphrase ?? (() => ask(`the ${role} key ${o.roleKeyFile}`)))(), role);
    cfg.roleKey = { secretKey: k.secretKey, publicKey: k.publicKey };
  } else if (role !== 'archive') {
    if (o.roleKey === undefined) throw new InputError('bad_config', `${file}: a ${role} needs "roleKeyFile" (its key file, beeptrace ca keygen)`);
    const secretKey = hexField(o, 'roleKey', 32, file);
    cfg.roleKey = { secretKey, publicKey: c.ed25519PublicKey(secretKey) };
  }
  if (o.epochKeysFile !== undefined && role === 'solver') {
    if (typeof o.epochKeysFile !== 'string') throw new InputError('bad_config', `${file}: "epochKeysFile" must be a path`);
    cfg.epochKeysFile = resolve(dir, o.epochKeysFile);
    const { readHandover } = await import('./ca/handover.ts');
    cfg.epochKeys = await readHandover(c, cfg.epochKeysFile, cfg.roleKey!);
  }
  if (o.epochKeys !== undefined) {
    if (typeof o.epochKeys !== 'object' || o.epochKeys === null) throw new InputError('bad_config', `${file}: "epochKeys" must be an object`);
    for (const [e, v] of Object.entries(o.epochKeys as Record<string, unknown>)) {
      if (!/^\d+$/.test(e)) throw new InputError('bad_config', `${file}: epochKeys key "${e}" is not an epoch number`);
      const secretKey = hexField({ v }, 'v', 32, `${file} epochKeys.${e}`);
      cfg.epochKeys.set(Number(e), { secretKey, publicKey: c.x25519PublicKey(secretKey) });
    }
  }
  if (role === 'solver' && cfg.epochKeys.size === 0 && !cfg.epochKeysFile) throw new InputError('bad_config', `${file}: a solver needs "epochKeysFile" (the CA's hand-over file, beeptrace ca epoch)`);
  return cfg;
}

export class FullNode {
  /** Totals of the solver's duty (zero on other roles). */
  readonly solverStats: SolverTotals = { runs: 0, stays: 0, seconds: 0, tags: 0, blocks: 0, alreadyPublished: 0, lastRunAt: null, lastStaysPerSecond: 0 };
  /** Where the duty reports progress (set by beeptrace node). */
  log: (m: string) => void = () => {};
  private solver?: SolverRole;
  private validator?: ValidatorRole;
  private constructor(
    readonly ledger: Ledger,
    readonly store: FileStore,
    readonly role: FullNodeRole,
    readonly config: NodeConfig,
    private readonly c: CryptoProvider,
    private readonly now: () => number,
    checkpointSec?: number,
  ) {
    if (role === 'solver') this.solver = new SolverRole(c, ledger, config.roleKey!, config.epochKeys);
    if (role === 'validator') this.validator = new ValidatorRole(c, ledger, config.roleKey!, checkpointSec);
  }

  /** Epochs whose private keys this solver holds (none on other roles). @example full.epochsHeld() // [2969, 2970] */
  epochsHeld(): number[] {
    return this.solver ? [...this.solver.epochKeys.keys()].sort((a, b) => a - b) : [];
  }

  /**
   * This node's own standing as a validator or solver at `nowSec`: why its key may not act (no
   * certificate, revoked) or null, and until when its certificate runs (seconds; undefined: none).
   * @example const { why, until } = full.standing(nowSec)
   */
  standing(nowSec: number): { why: string | null; until?: number } {
    const key = this.config.roleKey;
    if (!key || this.role === 'archive') return { why: null };
    const role = this.role === 'solver' ? Role.SOLVER : Role.VALIDATOR;
    const a = this.ledger.authority;
    return { why: a.whyNotAuthorized(key.publicKey, role, this.config.region, nowSec), until: a.certifiedUntil(key.publicKey, role, this.config.region, nowSec) };
  }

  /** Open (or create) a node's data directory and rebuild its ledger from disk. */
  static async open(o: { dir: string; role: FullNodeRole; crypto: CryptoProvider; now?: () => number; config?: NodeConfig; checkpointSec?: number; passphrase?: () => Promise<string> }): Promise<FullNode> {
    const config = o.config ?? (await readNodeConfig(o.dir, o.crypto, o.role, o.passphrase));
    const store = await openFileStore(join(o.dir, 'blocks'));
    const now = o.now ?? Date.now;
    const ledger = await openLedger({ crypto: o.crypto, store, rootKey: config.rootKey, region: config.region, now, role: 'full' });
    return new FullNode(ledger, store, o.role, config, o.crypto, now, o.checkpointSec);
  }

  /** Check and store a block; resolves only after it is durable on disk (then it may be acknowledged). */
  ingest(bytes: Uint8Array): Promise<AddResult> {
    return this.ledger.add(bytes);
  }

  /**
   * Route the roles' own blocks through `publish` (a running node's `NetNode.publish`): they then go
   * through the node's serial queue and are announced to peers, never attributed to one (issue 9
   * finding 11). Without it they go straight to the ledger (offline use, tests).
   * @example full.publishVia((b) => net.publish(b))
   */
  publishVia(publish: (bytes: Uint8Array) => Promise<{ status: string }>): void {
    if (this.solver) this.solver.publish = publish;
    if (this.validator) this.validator.publish = publish;
  }

  /** Run this role's scheduled duty once; returns the blocks it published (already added and announced). */
  async tick(): Promise<Uint8Array[]> {
    const nowSec = Math.floor(this.now() / 1000);
    if (this.validator) return this.validator.tick(nowSec);
    if (this.solver) return this.solve(nowSec);
    return [];
  }

  /** The solver's duty: refresh epoch keys from the hand-over file, solve, publish, log progress. */
  private async solve(nowSec: number): Promise<Uint8Array[]> {
    const s = this.solver!;
    if (this.config.epochKeysFile) {
      const { readHandover } = await import('./ca/handover.ts');
      try {
        const gone = s.setEpochKeys(await readHandover(this.c, this.config.epochKeysFile, this.config.roleKey!));
        if (gone.length) this.log(`solver: epoch key(s) ${gone.join(', ')} shredded by the CA: destroyed here`);
      } catch (e) {
        this.log(`solver: ${(e as Error).message}; keeping the keys held`);
      }
    }
    const dropped = s.dropEpochs(nowSec);
    if (dropped.length) this.log(`solver: epoch key(s) ${dropped.join(', ')} past retention: destroyed`);
    const r = await s.run(nowSec);
    if (r.skipped) {
      this.log(`solver: ${r.skipped}; nothing solved`);
      return [];
    }
    const t = this.solverStats;
    t.runs++;
    t.stays += r.stats.stays;
    t.seconds += r.ms / 1000;
    t.tags += r.stats.tags;
    t.blocks += r.published.length;
    t.alreadyPublished += r.stats.alreadyPublished;
    t.lastRunAt = nowSec;
    t.lastStaysPerSecond = r.ms > 0 ? Math.round((r.stats.stays / r.ms) * 1000) : 0;
    this.log(
      `solver: ${r.stats.batches} batches, ${r.stats.stays} stays of ${r.stats.userDays} user-days in ${Math.round(r.ms)} ms; ` +
        `${r.stats.cases} cases, ${r.stats.selfReports} self-reports, ${r.stats.withdrawn} withdrawn, ${r.stats.undecryptable} unreadable; ` +
        `${r.stats.tags} new tags in ${r.published.length} block(s), ${r.stats.alreadyPublished} already published by another solver; epochs held ${[...s.epochKeys.keys()].join(', ') || 'none'}`,
    );
    return r.published;
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}
