/**
 * A Node.js full node: both chains of one region on disk (segment files, fsync'ed before a block
 * is acknowledged), every acceptance rule, and the duties of its role — `archive` (store and
 * serve), `validator` (sign checkpoints on a schedule), `solver` (match and publish
 * notifications on a schedule).
 *
 * Configuration lives in the data directory (docs/NODE.md):
 *   DIR/node.json   {"region": 1, "rootKey": "<CA root Ed25519 public key, hex>",
 *                    "roleKey": "<this node's certified Ed25519 secret, hex>" (validator, solver),
 *                    "epochKeys": {"<epoch>": "<X25519 secret, hex>"} (solver)}
 *   DIR/blocks/     the file store
 *
 * @example
 * const node = await FullNode.open({ dir, role: 'archive', crypto: nodeCrypto });
 * const r = await node.ingest(bytes); // resolves once the block is on disk
 * await node.close();
 * @module
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CryptoProvider } from '../core/crypto.ts';
import { fromHex } from '../core/bytes.ts';
import { InputError } from '../core/errors.ts';
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
}

function hexField(o: Record<string, unknown>, k: string, len: number, file: string): Uint8Array {
  const v = o[k];
  if (typeof v !== 'string' || !new RegExp(`^[0-9a-f]{${2 * len}}$`).test(v)) throw new InputError('bad_config', `${file}: "${k}" must be ${len} bytes of lower-case hex`);
  return fromHex(v);
}

/** Read and check DIR/node.json. Throws InputError naming the file and field. */
export async function readNodeConfig(dir: string, c: CryptoProvider, role: FullNodeRole): Promise<NodeConfig> {
  const file = join(dir, 'node.json');
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new InputError('bad_config', `${file}: ${(e as Error).message}`);
  }
  if (typeof o !== 'object' || o === null) throw new InputError('bad_config', `${file}: must be a JSON object`);
  for (const k of Object.keys(o)) if (!['region', 'rootKey', 'roleKey', 'epochKeys'].includes(k)) throw new InputError('bad_config', `${file}: unknown key "${k}"`);
  if (!Number.isInteger(o.region) || (o.region as number) < 0 || (o.region as number) > 0xfffe) throw new InputError('bad_config', `${file}: "region" must be an integer 0..65534`);
  const cfg: NodeConfig = { region: o.region as number, rootKey: hexField(o, 'rootKey', 32, file), epochKeys: new Map() };
  if (role !== 'archive') {
    const secretKey = hexField(o, 'roleKey', 32, file);
    cfg.roleKey = { secretKey, publicKey: c.ed25519PublicKey(secretKey) };
  }
  if (o.epochKeys !== undefined) {
    if (typeof o.epochKeys !== 'object' || o.epochKeys === null) throw new InputError('bad_config', `${file}: "epochKeys" must be an object`);
    for (const [e, v] of Object.entries(o.epochKeys as Record<string, unknown>)) {
      if (!/^\d+$/.test(e)) throw new InputError('bad_config', `${file}: epochKeys key "${e}" is not an epoch number`);
      const secretKey = hexField({ v }, 'v', 32, `${file} epochKeys.${e}`);
      cfg.epochKeys.set(Number(e), { secretKey, publicKey: c.x25519PublicKey(secretKey) });
    }
  }
  if (role === 'solver' && cfg.epochKeys.size === 0) throw new InputError('bad_config', `${file}: a solver needs "epochKeys"`);
  return cfg;
}

export class FullNode {
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

  /** Open (or create) a node's data directory and rebuild its ledger from disk. */
  static async open(o: { dir: string; role: FullNodeRole; crypto: CryptoProvider; now?: () => number; config?: NodeConfig; checkpointSec?: number }): Promise<FullNode> {
    const config = o.config ?? (await readNodeConfig(o.dir, o.crypto, o.role));
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
    if (this.solver) return (await this.solver.run(nowSec)).published;
    return [];
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}
