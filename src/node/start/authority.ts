/**
 * The local authority of `beeptrace start`: a CA kept in a data folder. On first start it makes
 * the root key, certifies a diagnostician, a solver and two validators, and publishes the policy,
 * the certificates and the epoch keys into its own ledger (a file store beside its keys); later
 * starts reuse all of it. It keeps epochs current (`ensureEpochs`) and re-publishes its standing
 * statements (`refresh`) the way the simulator's World does (src/node/sim/world.ts), with the
 * same core functions.
 *
 * Layout of DIR (mode 0700; every key file mode 0600, not encrypted yet):
 *   authority.json       {"region": 1, "created": ms, "refreshedAt": ms}
 *   root.json            the CA root key   {"role","name","publicKey","secretKey"} (hex)
 *   diagnostician.json   the local clinic's key (a test endorses a patient with it)
 *   solver.json, validator-1.json, validator-2.json
 *   epochs.json          {"<epoch>": "<X25519 secret hex>"} (held for the solver)
 *   ledger/              both chains as the authority's own node holds them
 *
 * @example
 * const ca = await LocalAuthority.open({ dir: '.beeptrace/authority', region: 1, crypto: nodeCrypto });
 * ca.keys.diagnostician.publicKey; await ca.ensureEpochs(); await ca.close();
 * @module
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CryptoProvider } from '../../core/crypto.ts';
import { fromHex, toHex } from '../../core/bytes.ts';
import { InputError } from '../../core/errors.ts';
import { certificateBlock, epochKeyBlock, newRoleKey, policyBlock, revocationBlock, type RoleKey } from '../../core/blocks.ts';
import { Role, type RoleCode } from '../../core/codec/records.ts';
import { Kind } from '../../core/codec/block.ts';
import { Ledger } from '../../core/ledger/ledger.ts';
import { DEFAULT_POLICY, epochOf, parsePolicy, type Policy } from '../../core/policy.ts';
import type { EpochKeyPair } from '../../core/solver.ts';
import { Chain, type ChainId } from '../../core/types.ts';
import { openFileStore, type FileStore } from '../../store/file-store.ts';

/** The role keys the local CA holds. @example ca.keys.validators.length === 2 */
export interface AuthorityKeys {
  root: RoleKey;
  diagnostician: RoleKey;
  solver: RoleKey;
  validators: RoleKey[];
}

/** A key file as kept in the data folder (hex). @example readKeyFile('.beeptrace/authority/diagnostician.json') */
export interface KeyFile {
  role: string;
  name: string;
  publicKey: string;
  secretKey: string;
}

const YEAR_SEC = 366 * 86_400;

/** Write a file only its owner may read (0600), creating its folder (0700). @example await writeSecret(f, '{}') */
export async function writeSecret(file: string, text: string): Promise<void> {
  await mkdir(join(file, '..'), { recursive: true, mode: 0o700 });
  await writeFile(file, text, { mode: 0o600 });
  await chmod(file, 0o600);
}

/** Read a role key file of the data folder. @example (await readKeyFile(f)).publicKey */
export async function readKeyFile(file: string, c: CryptoProvider): Promise<RoleKey> {
  let o: KeyFile;
  try {
    o = JSON.parse(await readFile(file, 'utf8')) as KeyFile;
  } catch (e) {
    throw new InputError('bad_config', `${file}: ${(e as Error).message}`);
  }
  if (typeof o.secretKey !== 'string' || !/^[0-9a-f]{64}$/.test(o.secretKey)) throw new InputError('bad_config', `${file}: "secretKey" must be 32 bytes of hex`);
  const secretKey = fromHex(o.secretKey);
  return { secretKey, publicKey: c.ed25519PublicKey(secretKey) };
}

/** The local CA (see the module comment). @example const ca = await LocalAuthority.open({ dir, region: 1, crypto: nodeCrypto }) */
export class LocalAuthority {
  /** Epoch secrets the CA made (the solver holds them). */
  readonly epochs = new Map<number, EpochKeyPair>();
  /** Where new statements go once the authority's node is on the mesh (default: its ledger only). */
  publisher: (bytes: Uint8Array) => Promise<unknown>;

  private constructor(
    readonly dir: string,
    readonly region: number,
    readonly keys: AuthorityKeys,
    readonly ledger: Ledger,
    private readonly store: FileStore,
    private readonly c: CryptoProvider,
    private readonly now: () => number,
    /** True if this start created the CA. */
    readonly created: boolean,
    private state: { region: number; created: number; refreshedAt: number },
  ) {
    this.publisher = (b) => this.add(b);
  }

  /**
   * Open the CA in `dir`, creating it (keys, certificates, policy, epoch keys) on first start.
   * A later start publishes `policy` if it differs from the one on the chain, and refreshes the
   * standing statements when the last refresh is older than a third of the retention window.
   * @throws InputError if `region` differs from the one the folder was made for.
   */
  static async open(o: { dir: string; region: number; crypto: CryptoProvider; policy?: Policy; now?: () => number }): Promise<LocalAuthority> {
    const c = o.crypto;
    const now = o.now ?? Date.now;
    await mkdir(o.dir, { recursive: true, mode: 0o700 });
    const stateFile = join(o.dir, 'authority.json');
    const created = !existsSync(stateFile);
    let state: { region: number; created: number; refreshedAt: number };
    let keys: AuthorityKeys;
    if (created) {
      keys = { root: newRoleKey(c), diagnostician: newRoleKey(c), solver: newRoleKey(c), validators: [newRoleKey(c), newRoleKey(c)] };
      for (const [file, role, name, key] of keyFiles(keys)) {
        await writeSecret(join(o.dir, file), `${JSON.stringify({ role, name, publicKey: toHex(key.publicKey), secretKey: toHex(key.secretKey) } satisfies KeyFile, null, 2)}\n`);
      }
      state = { region: o.region, created: now(), refreshedAt: now() };
    } else {
      state = JSON.parse(await readFile(stateFile, 'utf8'));
      if (state.region !== o.region) throw new InputError('usage', `${o.dir} holds the authority of region ${state.region}, not ${o.region}: use --region ${state.region} or another --data folder`);
      const read = (f: string) => readKeyFile(join(o.dir, f), c);
      keys = { root: await read('root.json'), diagnostician: await read('diagnostician.json'), solver: await read('solver.json'), validators: [await read('validator-1.json'), await read('validator-2.json')] };
    }
    const store = await openFileStore(join(o.dir, 'ledger'));
    const ledger = new Ledger({ crypto: c, store, rootKey: keys.root.publicKey, region: o.region, now, carries: [Chain.TRACING, Chain.NOTIFICATION] });
    await ledger.open();
    const ca = new LocalAuthority(o.dir, o.region, keys, ledger, store, c, now, created, state);
    await ca.loadEpochs();
    const policy = o.policy ?? DEFAULT_POLICY;
    if (created) {
      await ca.publish(policyBlock(c, keys.root, JSON.stringify(policy), ca.common()));
      const t = ca.timeSec();
      for (const [, role, name, key] of keyFiles(keys)) {
        if (role === 'root') continue;
        await ca.publish(certificateBlock(c, keys.root, {
          serial: c.randomBytes(16), role: ROLE_CODES[role], region: o.region, subject: key.publicKey, notBefore: t - 86_400, notAfter: t + YEAR_SEC, name,
        }, ca.common()));
      }
    } else if (normalPolicy(ledger.authority.policy) !== normalPolicy(policy)) {
      // Strictly later than the policy in force, so it wins even within the same second.
      const last = Math.max(0, ...ledger.entries(Chain.NOTIFICATION).filter((e) => e.kind === Kind.POLICY).map((e) => e.time));
      await ca.publish(policyBlock(c, keys.root, JSON.stringify(policy), { ...ca.common(), timeSec: Math.max(ca.timeSec(), last + 1) }));
    }
    await ca.ensureEpochs();
    if (!created && now() - state.refreshedAt > (ledger.authority.policy.retentionDays * 86_400_000) / 3) await ca.refresh();
    await ca.saveState();
    return ca;
  }

  timeSec(): number {
    return Math.floor(this.now() / 1000);
  }
  private common(chain: ChainId = Chain.NOTIFICATION) {
    return { region: this.region, timeSec: this.timeSec(), parents: this.ledger.tips(chain) };
  }

  private async add(bytes: Uint8Array): Promise<void> {
    const r = await this.ledger.add(bytes);
    if (r.status === 'pending') throw new Error('authority statement unexpectedly pending');
  }
  private async publish(bytes: Uint8Array): Promise<void> {
    await this.publisher(bytes);
  }

  /**
   * Publish the epoch keys of today's epoch and the next one if missing (so a solver started now
   * holds every key it needs for at least one epoch), and forget secrets of epochs past the
   * retention window. Returns the epochs it created.
   */
  async ensureEpochs(): Promise<number[]> {
    const p = this.ledger.authority.policy;
    const today = Math.floor(this.now() / 86_400_000);
    const made: number[] = [];
    for (const e of new Set([epochOf(p, today), epochOf(p, today + p.epochDays)])) {
      if (this.ledger.authority.epochKey(e)) continue;
      const secretKey = this.c.randomBytes(32);
      const kp = { secretKey, publicKey: this.c.x25519PublicKey(secretKey) };
      this.epochs.set(e, kp);
      await this.saveEpochs();
      await this.publish(epochKeyBlock(this.c, this.keys.root, e, kp.publicKey, this.common()));
      made.push(e);
    }
    const oldest = epochOf(p, today - p.retentionDays);
    let dropped = false;
    for (const [e, kp] of this.epochs) {
      if (e >= oldest) continue;
      kp.secretKey.fill(0); // crypto-shredding: records sealed to it are unreadable from now on
      this.epochs.delete(e);
      dropped = true;
    }
    if (dropped) await this.saveEpochs();
    return made;
  }

  /**
   * Re-publish the standing statements (policy, live certificates, revocations, epoch keys still
   * in use) so they outlive retention pruning; as World.refreshAuthority. Returns the count.
   */
  async refresh(): Promise<number> {
    const a = this.ledger.authority;
    const t = this.timeSec();
    const today = Math.floor(this.now() / 86_400_000);
    const s = a.standing(t, epochOf(a.policy, today - a.policy.retentionDays));
    const root = this.keys.root;
    const blocks = [
      policyBlock(this.c, root, JSON.stringify(a.policy), this.common()),
      ...s.certificates.map((cert) => certificateBlock(this.c, root, cert, this.common())),
      ...s.revocations.map((r) => revocationBlock(this.c, root, { ...r, reason: 0 }, this.common())),
      ...s.epochs.map((e) => epochKeyBlock(this.c, root, e.epoch, e.publicKey, this.common())),
    ];
    for (const b of blocks) await this.publish(b);
    this.state.refreshedAt = this.now();
    await this.saveState();
    return blocks.length;
  }

  /** Due for a refresh (a third of the retention window since the last)? */
  refreshDue(): boolean {
    return this.now() - this.state.refreshedAt > (this.ledger.authority.policy.retentionDays * 86_400_000) / 3;
  }

  /** The node.json of a full node of this CA (docs/NODE.md): the solver gets the epoch secrets. */
  nodeConfig(role: 'solver' | 'validator' | 'archive', index = 0): object {
    const base = { region: this.region, rootKey: toHex(this.keys.root.publicKey) };
    if (role === 'archive') return base;
    if (role === 'validator') return { ...base, roleKey: toHex(this.keys.validators[index].secretKey) };
    return { ...base, roleKey: toHex(this.keys.solver.secretKey), epochKeys: Object.fromEntries([...this.epochs].map(([e, kp]) => [String(e), toHex(kp.secretKey)])) };
  }

  async close(): Promise<void> {
    await this.store.close();
  }

  private async loadEpochs(): Promise<void> {
    const file = join(this.dir, 'epochs.json');
    if (!existsSync(file)) return;
    const o = JSON.parse(await readFile(file, 'utf8')) as Record<string, string>;
    for (const [e, hex] of Object.entries(o)) {
      const secretKey = fromHex(hex);
      this.epochs.set(Number(e), { secretKey, publicKey: this.c.x25519PublicKey(secretKey) });
    }
  }
  private saveEpochs(): Promise<void> {
    const o = Object.fromEntries([...this.epochs].map(([e, kp]) => [String(e), toHex(kp.secretKey)]));
    return writeSecret(join(this.dir, 'epochs.json'), `${JSON.stringify(o, null, 2)}\n`);
  }
  private saveState(): Promise<void> {
    return writeFile(join(this.dir, 'authority.json'), `${JSON.stringify(this.state, null, 2)}\n`);
  }
}

/** A policy as the chain would hold it, for comparison. */
function normalPolicy(p: Policy): string {
  return JSON.stringify(parsePolicy(JSON.stringify(p)));
}

const ROLE_CODES: Record<string, RoleCode> = { diagnostician: Role.DIAGNOSTICIAN, solver: Role.SOLVER, validator: Role.VALIDATOR };

function keyFiles(k: AuthorityKeys): [file: string, role: string, name: string, key: RoleKey][] {
  return [
    ['root.json', 'root', 'Local CA', k.root],
    ['diagnostician.json', 'diagnostician', 'Local Clinic', k.diagnostician],
    ['solver.json', 'solver', 'Local Solver', k.solver],
    ...k.validators.map((v, i): [string, string, string, RoleKey] => [`validator-${i + 1}.json`, 'validator', `Local Validator ${i + 1}`, v]),
  ];
}
