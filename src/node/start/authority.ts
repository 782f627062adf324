/**
 * The local authority of `beeptrace start`: a CA made with the same code as `beeptrace ca`
 * (src/node/ca/authority.ts, CertificateAuthority). On first start it creates the CA, makes the
 * role keys of a local clinic, a solver and two validators (encrypted key files), certifies them,
 * makes the epoch keys (handed to the solver sealed to its key) and publishes every statement into
 * its own ledger; later starts reuse all of it. It keeps epochs current (`ensureEpochs`: `ca epoch`
 * and `ca shred`) and re-publishes its standing statements (`refresh`) as the simulator's World does.
 *
 * The local demo passes the passphrase programmatically: a random one is generated on first start
 * and kept in DIR/passphrase (0600) beside the keys, so `npm start` needs no prompt. Because the
 * passphrase lies beside them, these key files use scrypt N = 2^14 (BEEPTRACE_SCRYPT_LOGN
 * overrides); `beeptrace ca` keeps the default 2^17. An operator's authority is made with
 * `beeptrace ca` (README "Run your own authority"), never from this folder.
 *
 * Layout of DIR (mode 0700; every file 0600):
 *   passphrase           the local demo's generated passphrase
 *   ca/                  the CA folder (root.key, ca.json, outbox/, sent/, handover/; src/node/ca/authority.ts)
 *   keys/diagnostician.key, keys/solver.key, keys/validator-1.key, keys/validator-2.key   role key files
 *   authority.json       {"region": 1, "created": ms, "refreshedAt": ms}
 *   ledger/              both chains as the authority's own node holds them
 *
 * @example
 * const ca = await LocalAuthority.open({ dir: '.beeptrace/authority', region: 1, crypto: nodeCrypto });
 * ca.keys.diagnostician.publicKey; await ca.ensureEpochs(); await ca.close();
 * @module
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CryptoProvider } from '../../core/crypto.ts';
import { toHex } from '../../core/bytes.ts';
import { InputError } from '../../core/errors.ts';
import type { RoleKey } from '../../core/blocks.ts';
import { Ledger } from '../../core/ledger/ledger.ts';
import { DEFAULT_POLICY, epochOf, parsePolicy, type Policy } from '../../core/policy.ts';
import type { EpochKeyPair } from '../../core/solver.ts';
import { Chain } from '../../core/types.ts';
import { openFileStore, type FileStore } from '../../store/file-store.ts';
import { CertificateAuthority } from '../ca/authority.ts';
import { drain } from '../ca/outbox.ts';
import { readRoleKey, writeRoleKey } from '../ca/secrets.ts';
import { paths } from '../ca/state.ts';

/** The role keys the local CA holds. @example ca.keys.validators.length === 2 */
export interface AuthorityKeys {
  root: RoleKey;
  diagnostician: RoleKey;
  solver: RoleKey;
  validators: RoleKey[];
}

/** scrypt cost of the local demo's key files (their passphrase lies beside them). */
const LOCAL_SCRYPT = { N: 2 ** 14, r: 8, p: 1 };

/** Write a file only its owner may read (0600), creating its folder (0700). @example await writeSecret(f, '{}') */
export async function writeSecret(file: string, text: string): Promise<void> {
  await mkdir(join(file, '..'), { recursive: true, mode: 0o700 });
  await writeFile(file, text, { mode: 0o600 });
  await chmod(file, 0o600);
}

/**
 * Open a role key file of the local authority (DIR/keys/NAME.key, or DIR/ca/root.key) with the
 * demo's passphrase from DIR/passphrase.
 * @example (await readKeyFile('.beeptrace/authority/keys/diagnostician.key', c)).publicKey
 */
export async function readKeyFile(file: string, c: CryptoProvider): Promise<RoleKey> {
  const pass = await localPassphrase(dirname(dirname(file)), false);
  const k = await readRoleKey(c, file, pass);
  return { secretKey: k.secretKey, publicKey: k.publicKey };
}

/** The local demo's passphrase (made on first use). */
async function localPassphrase(dir: string, create: boolean): Promise<string> {
  const file = join(dir, 'passphrase');
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  if (!create) throw new InputError('bad_config', `${file} is missing: the local authority's key files cannot be opened`);
  const pass = toHex(crypto.getRandomValues(new Uint8Array(24)));
  await writeSecret(file, `${pass}\n`);
  return pass;
}

const YEAR_DAYS = 366;
const ROLES: [file: string, role: 'diagnostician' | 'solver' | 'validator', name: string][] = [
  ['diagnostician', 'diagnostician', 'Local Clinic'],
  ['solver', 'solver', 'Local Solver'],
  ['validator-1', 'validator', 'Local Validator 1'],
  ['validator-2', 'validator', 'Local Validator 2'],
];

/** The local CA (see the module comment). @example const ca = await LocalAuthority.open({ dir, region: 1, crypto: nodeCrypto }) */
export class LocalAuthority {
  /** Where new statements go once the authority's node is on the mesh (default: its ledger only). */
  publisher: (bytes: Uint8Array) => Promise<unknown>;

  private constructor(
    readonly dir: string,
    readonly region: number,
    readonly keys: AuthorityKeys,
    readonly ledger: Ledger,
    /** The CA (the code of `beeptrace ca`) in DIR/ca. */
    readonly ca: CertificateAuthority,
    /** The local demo's passphrase (DIR/passphrase): the full nodes it starts get it in BEEPTRACE_PASSPHRASE. */
    readonly passphrase: string,
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
    if (existsSync(join(o.dir, 'root.json'))) {
      throw new InputError('bad_config', `${o.dir} was made by an earlier beeptrace start with unencrypted keys: remove that folder (or use another --data) to make a new local authority`);
    }
    const stateFile = join(o.dir, 'authority.json');
    const created = !existsSync(stateFile);
    const caDir = join(o.dir, 'ca');
    const keyFile = (name: string) => join(o.dir, 'keys', `${name}.key`);
    const cost = process.env.BEEPTRACE_SCRYPT_LOGN ? undefined : LOCAL_SCRYPT;
    const pass = await localPassphrase(o.dir, created);
    let state: { region: number; created: number; refreshedAt: number };
    let ca: CertificateAuthority;
    if (created) {
      ca = await CertificateAuthority.init({ dir: caDir, region: o.region, signalUrl: 'ws://127.0.0.1/signal', passphrase: pass, crypto: c, policy: o.policy, now, scrypt: cost });
      for (const [file, role, name] of ROLES) {
        const secretKey = c.randomBytes(32);
        await writeRoleKey(c, keyFile(file), { role, name, region: o.region, secretKey }, pass, cost);
        await ca.certify({ role, subject: c.ed25519PublicKey(secretKey), region: o.region, days: YEAR_DAYS, name });
      }
      state = { region: o.region, created: now(), refreshedAt: now() };
    } else {
      state = JSON.parse(await readFile(stateFile, 'utf8'));
      if (state.region !== o.region) throw new InputError('usage', `${o.dir} holds the authority of region ${state.region}, not ${o.region}: use --region ${state.region} or another --data folder`);
      ca = await CertificateAuthority.open({ dir: caDir, passphrase: pass, crypto: c, now });
    }
    const open = async (name: string) => {
      const k = await readRoleKey(c, keyFile(name), pass);
      return { secretKey: k.secretKey, publicKey: k.publicKey };
    };
    const keys: AuthorityKeys = { root: ca.root, diagnostician: await open('diagnostician'), solver: await open('solver'), validators: [await open('validator-1'), await open('validator-2')] };
    const store = await openFileStore(join(o.dir, 'ledger'));
    const ledger = new Ledger({ crypto: c, store, rootKey: keys.root.publicKey, region: o.region, now, carries: [Chain.TRACING, Chain.NOTIFICATION] });
    await ledger.open();
    const la = new LocalAuthority(o.dir, o.region, keys, ledger, ca, pass, store, c, now, created, state);
    const policy = o.policy ?? DEFAULT_POLICY;
    if (!created && normalPolicy(ledger.authority.policy) !== normalPolicy(policy)) await ca.publishPolicy(policy);
    await la.flush();
    await la.ensureEpochs();
    if (!created && now() - state.refreshedAt > (ledger.authority.policy.retentionDays * 86_400_000) / 3) await la.refresh();
    await la.saveState();
    return la;
  }

  timeSec(): number {
    return Math.floor(this.now() / 1000);
  }
  private async add(bytes: Uint8Array): Promise<void> {
    const r = await this.ledger.add(bytes);
    if (r.status === 'pending') throw new Error('authority statement unexpectedly pending');
  }
  /** Publish what the CA signed and has not published yet (its outbox), in signing order. */
  private async flush(): Promise<void> {
    await drain(this.ca.dir, (bytes) => this.publisher(bytes));
  }

  /** Epoch secrets the CA holds (the solver gets them sealed, in its hand-over file). */
  get epochs(): Map<number, EpochKeyPair> {
    return this.ca.epochKeys();
  }

  /**
   * `ca epoch` and `ca shred`: make the keys of today's epoch and the next one if missing (so a
   * solver started now holds every key it needs for at least one epoch), hand them to the solver,
   * publish them; destroy keys of epochs past the retention window. Returns the epochs it created.
   */
  async ensureEpochs(): Promise<number[]> {
    // an epoch key already on the chain (an earlier start) is not made again
    const p = this.ledger.authority.policy;
    const today = Math.floor(this.now() / 86_400_000);
    const made: number[] = [];
    for (const e of new Set([epochOf(p, today), epochOf(p, today + p.epochDays)])) {
      if (this.ledger.authority.epochKey(e) || this.ca.state.epochs[e]) continue;
      made.push(...(await this.ca.epoch({ epoch: e })).made);
    }
    await this.ca.shred();
    await this.flush();
    return made;
  }

  /**
   * Re-publish the standing statements (policy, certificates, revocations, epoch keys still in
   * use) so they outlive retention pruning: `ca republish` (CertificateAuthority.republish), then
   * into the mesh. Returns the count.
   */
  async refresh(): Promise<number> {
    const n = await this.ca.republish();
    await this.flush();
    this.state.refreshedAt = this.now();
    await this.saveState();
    return n;
  }

  /** Due for a refresh (a third of the retention window since the last)? */
  refreshDue(): boolean {
    return this.now() - this.state.refreshedAt > (this.ledger.authority.policy.retentionDays * 86_400_000) / 3;
  }

  /**
   * The node.json of a full node of this CA (docs/NODE.md): its key file and, for the solver, its
   * epoch hand-over file (absolute paths). The node opens them with `passphrase`
   * (BEEPTRACE_PASSPHRASE).
   */
  nodeConfig(role: 'solver' | 'validator' | 'archive', index = 0): object {
    const base = { region: this.region, rootKey: toHex(this.keys.root.publicKey) };
    if (role === 'archive') return base;
    const keys = join(this.dir, 'keys');
    if (role === 'validator') return { ...base, roleKeyFile: join(keys, `validator-${index + 1}.key`) };
    const solver = toHex(this.keys.solver.publicKey);
    return { ...base, roleKeyFile: join(keys, 'solver.key'), epochKeysFile: join(paths(this.ca.dir).handover, `local-solver-${solver.slice(0, 16)}.json`) };
  }

  async close(): Promise<void> {
    await this.store.close();
  }

  private saveState(): Promise<void> {
    return writeSecret(join(this.dir, 'authority.json'), `${JSON.stringify(this.state, null, 2)}\n`);
  }
}

/** A policy as the chain would hold it, for comparison. */
function normalPolicy(p: Policy): string {
  return JSON.stringify(parsePolicy(JSON.stringify(p)));
}
