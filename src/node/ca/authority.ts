/**
 * A certificate authority kept in a data folder: the operations behind `beeptrace ca …`
 * (src/node/ca/cli.ts) and `npm start`'s local authority (src/node/start/authority.ts). The root
 * key is a passphrase-encrypted key file (src/core/keyfile.ts); every statement is signed with
 * it and queued in the outbox (src/node/ca/outbox.ts); what was issued is recorded in ca.json
 * (src/node/ca/state.ts).
 *
 * Layout of DIR (0700; every file 0600):
 *   root.key        the CA root key file (role root)
 *   ca.json         the CA's record: region, policy, certificates, revocations, epochs, shredded
 *   config.json     the app configuration: {"region","signalUrl","rootKey","iceServers"}
 *   outbox/, sent/  signed statements waiting for / delivered to a full node
 *   handover/       one epoch hand-over file per certified solver (src/node/ca/handover.ts)
 *
 * @example
 * const ca = await CertificateAuthority.init({ dir, region: 1, signalUrl, passphrase, crypto: nodeCrypto });
 * await ca.certify({ role: 'solver', subject, region: 1, days: 365, name: 'Solver 1' });
 * await ca.epoch(); // epoch keys for today and the next epoch, handed to every solver
 * @module
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CryptoProvider } from '../../core/crypto.ts';
import { fromHex, toHex } from '../../core/bytes.ts';
import { InputError } from '../../core/errors.ts';
import { certificateBlock, epochKeyBlock, policyBlock, revocationBlock, type RoleKey } from '../../core/blocks.ts';
import { ANY_REGION, Role, type RoleCode } from '../../core/codec/records.ts';
import { openEpochKey, sealEpochKey } from '../../core/epoch-handover.ts';
import { DEFAULT_POLICY, epochOf, parsePolicy, type Policy } from '../../core/policy.ts';
import type { EpochKeyPair } from '../../core/solver.ts';
import { enqueue } from './outbox.ts';
import { readRoleKey, writePrivate, writeRoleKey } from './secrets.ts';
import { CA_FORMAT, loadState, paths, saveState, type CaState, type IssuedCertificate } from './state.ts';
import { writeHandover } from './handover.ts';

/** Roles a CA certifies, by name. @example CERT_ROLES.venue === Role.VENUE */
export const CERT_ROLES: Record<IssuedCertificate['role'], RoleCode> = {
  diagnostician: Role.DIAGNOSTICIAN, solver: Role.SOLVER, validator: Role.VALIDATOR, venue: Role.VENUE,
};
/** A new certificate is valid from this many seconds before it is signed (clock skew between machines). @example cert.notBefore === t - CERT_BACKDATE_SEC */
export const CERT_BACKDATE_SEC = 3600;

/** The app configuration a CA makes (AppConfig, src/app/protocol.ts). @example appConfig(st).rootKey */
export function appConfig(st: { region: number; signalUrl: string; rootKey: string; iceServers?: unknown[] }): { region: number; signalUrl: string; rootKey: string; iceServers: unknown[] } {
  return { region: st.region, signalUrl: st.signalUrl, rootKey: st.rootKey, iceServers: st.iceServers ?? [] };
}

/**
 * The checkpoint boundary at or before `sec` (validators close intervals of `intervalSec` seconds
 * from the Unix epoch on: src/node/roles/validator-role.ts).
 * @example checkpointBoundary(1_000_000_123, 600) === 999_999_600
 */
export function checkpointBoundary(sec: number, intervalSec = 600): number {
  return Math.floor(sec / intervalSec) * intervalSec;
}

/** The CA of a data folder, its root key open. @example const ca = await CertificateAuthority.open({ dir, passphrase, crypto }) */
export class CertificateAuthority {
  private constructor(
    readonly dir: string,
    readonly state: CaState,
    readonly root: RoleKey,
    private readonly c: CryptoProvider,
    private readonly now: () => number,
  ) {}

  /**
   * Create a CA in `dir` (which must not hold one): root key file, ca.json, config.json, and the
   * policy statement in the outbox.
   */
  static async init(o: { dir: string; region: number; signalUrl: string; passphrase: string; crypto: CryptoProvider; policy?: Policy; now?: () => number; scrypt?: { N: number; r: number; p: number } }): Promise<CertificateAuthority> {
    const p = paths(o.dir);
    if (existsSync(p.state) || existsSync(p.rootKey)) throw new InputError('exists', `${o.dir} already holds an authority (ca.json / root.key): use another --data folder`);
    if (!Number.isInteger(o.region) || o.region < 0 || o.region >= ANY_REGION) throw new InputError('usage', `--region must be an integer 0..65534, got ${o.region}`);
    await mkdir(o.dir, { recursive: true, mode: 0o700 });
    const now = o.now ?? Date.now;
    const secretKey = o.crypto.randomBytes(32);
    const root = { secretKey, publicKey: o.crypto.ed25519PublicKey(secretKey) };
    await writeRoleKey(o.crypto, p.rootKey, { role: 'root', name: 'CA root', region: o.region, secretKey }, o.passphrase, o.scrypt);
    const st: CaState = {
      format: CA_FORMAT, region: o.region, signalUrl: o.signalUrl, rootKey: toHex(root.publicKey), created: now(),
      policy: o.policy ?? DEFAULT_POLICY, policyTime: 0, certificates: [], revocations: [], epochs: {}, shredded: [],
    };
    const ca = new CertificateAuthority(o.dir, st, root, o.crypto, now);
    await writePrivate(p.appConfig, `${JSON.stringify(appConfig(st), null, 2)}\n`);
    await ca.publishPolicy(st.policy);
    return ca;
  }

  /** Open the CA of `dir` with its root key's passphrase (InputError `wrong_passphrase` otherwise). */
  static async open(o: { dir: string; passphrase: string; crypto: CryptoProvider; now?: () => number }): Promise<CertificateAuthority> {
    const st = await loadState(o.dir);
    const k = await readRoleKey(o.crypto, paths(o.dir).rootKey, o.passphrase, 'root');
    if (toHex(k.publicKey) !== st.rootKey) throw new InputError('bad_key_file', `${paths(o.dir).rootKey} is not the root key of ${paths(o.dir).state}`);
    return new CertificateAuthority(o.dir, st, { secretKey: k.secretKey, publicKey: k.publicKey }, o.crypto, o.now ?? Date.now);
  }

  timeSec(): number {
    return Math.floor(this.now() / 1000);
  }
  private common() {
    return { region: this.state.region, timeSec: this.timeSec(), parents: [] };
  }
  private save(): Promise<void> {
    return saveState(this.dir, this.state);
  }

  /** Sign and queue a policy statement (strictly later than the last one, so it wins). Returns the block id. */
  async publishPolicy(policy: Policy): Promise<string> {
    const json = JSON.stringify(parsePolicy(JSON.stringify(policy)));
    const t = Math.max(this.timeSec(), this.state.policyTime + 1);
    const id = await enqueue(this.dir, policyBlock(this.c, this.root, json, { ...this.common(), timeSec: t }), 'policy');
    this.state.policy = JSON.parse(json) as Policy;
    this.state.policyTime = t;
    await this.save();
    return id;
  }

  /** Certify a role key for `days` days. A new solver gets the live epoch keys at once. */
  async certify(o: { role: IssuedCertificate['role']; subject: Uint8Array; region: number; days: number; name: string }): Promise<IssuedCertificate & { handover?: string }> {
    const code = CERT_ROLES[o.role];
    if (code === undefined) throw new InputError('unknown_role', `unknown role "${o.role}": one of ${Object.keys(CERT_ROLES).join(', ')}`);
    const t = this.timeSec();
    const body = { serial: this.c.randomBytes(16), role: code, region: o.region, subject: o.subject, notBefore: t - CERT_BACKDATE_SEC, notAfter: t + o.days * 86_400, name: o.name };
    const block = await enqueue(this.dir, certificateBlock(this.c, this.root, body, this.common()), `certificate-${o.role}`);
    const cert: IssuedCertificate = { serial: toHex(body.serial), role: o.role, region: o.region, subject: toHex(o.subject), name: o.name, notBefore: body.notBefore, notAfter: body.notAfter, block };
    this.state.certificates.push(cert);
    await this.save();
    if (o.role === 'solver' && Object.keys(this.state.epochs).length) return { ...cert, handover: (await this.handover()).find((f) => f.includes(cert.subject.slice(0, 16))) };
    return cert;
  }

  /**
   * Revoke a key from `at` (seconds; default now) on. The caller picks `at` on a checkpoint
   * boundary (`checkpointBoundary`; docs/PROTOCOL.md §9.1). Returns the block id.
   */
  async revoke(o: { subject: Uint8Array; reason?: number; at?: number }): Promise<{ subject: string; revokedAt: number; reason: number; block: string }> {
    const revokedAt = o.at ?? this.timeSec();
    const reason = o.reason ?? 0;
    const block = await enqueue(this.dir, revocationBlock(this.c, this.root, { subject: o.subject, revokedAt, reason }, this.common()), 'revocation');
    const r = { subject: toHex(o.subject), revokedAt, reason, block };
    this.state.revocations.push(r);
    await this.save();
    if (this.state.certificates.some((c) => c.role === 'solver' && c.subject === r.subject)) await this.handover();
    return r;
  }

  /**
   * Re-publish the standing statements (docs/PROTOCOL.md §10.3): pruning removes every block older
   * than the retention window, CA statements too, so they are signed again as new blocks — the
   * policy in force, every certificate that still covers some time inside the window (revoked ones
   * too: blocks their key signed before the revocation may still count), every revocation, and
   * the public keys of the epochs not shredded that may still hold records. Queued in the outbox;
   * records the time in ca.json (`republishedAt`). Returns how many statements were signed.
   * @example const n = await ca.republish(); await sendPending(dir, url);
   */
  async republish(): Promise<number> {
    const st = this.state;
    const t = this.timeSec();
    const horizon = t - st.policy.retentionDays * 86_400;
    await this.publishPolicy(st.policy);
    let n = 1;
    for (const cert of st.certificates) {
      if (cert.notAfter <= horizon) continue;
      const body = { serial: fromHex(cert.serial), role: CERT_ROLES[cert.role], region: cert.region, subject: fromHex(cert.subject), notBefore: cert.notBefore, notAfter: cert.notAfter, name: cert.name };
      await enqueue(this.dir, certificateBlock(this.c, this.root, body, this.common()), `certificate-${cert.role}`);
      n++;
    }
    for (const r of st.revocations) {
      await enqueue(this.dir, revocationBlock(this.c, this.root, { subject: fromHex(r.subject), revokedAt: r.revokedAt, reason: r.reason }, this.common()), 'revocation');
      n++;
    }
    const oldest = epochOf(st.policy, Math.floor(horizon / 86_400));
    for (const [e, v] of Object.entries(st.epochs)) {
      if (Number(e) < oldest) continue;
      await enqueue(this.dir, epochKeyBlock(this.c, this.root, Number(e), fromHex(v.publicKey), this.common()), `epoch-${e}`);
      n++;
    }
    st.republishedAt = this.now();
    await this.save();
    return n;
  }

  /**
   * When the standing statements are next due: a third of the retention window after the last
   * re-publication (or after the authority was made), so a missed run still leaves time. Ms.
   * @example if (Date.now() >= ca.republishDue()) await ca.republish();
   */
  republishDue(): number {
    return (this.state.republishedAt ?? this.state.created) + (this.state.policy.retentionDays * 86_400_000) / 3;
  }

  /** Certificates of `role` neither expired nor revoked now. */
  liveCertificates(role?: IssuedCertificate['role']): IssuedCertificate[] {
    const t = this.timeSec();
    return this.state.certificates.filter((c) => (!role || c.role === role) && c.notAfter > t && !this.state.revocations.some((r) => r.subject === c.subject && r.revokedAt <= t));
  }

  /**
   * Make epoch keys: `epoch` only, or (default) the current epoch and the next one, whichever the
   * CA has not made yet. Publishes their public halves and hands the private halves to every live
   * solver. Returns the epochs made and the hand-over files written.
   */
  async epoch(o: { epoch?: number } = {}): Promise<{ made: number[]; handover: string[] }> {
    const p = this.state.policy;
    const today = Math.floor(this.now() / 86_400_000);
    const want = o.epoch !== undefined ? [o.epoch] : [...new Set([epochOf(p, today), epochOf(p, today + p.epochDays)])];
    const made: number[] = [];
    for (const e of want) {
      if (this.state.epochs[e]) continue;
      if (this.state.shredded.includes(e)) throw new InputError('shredded', `epoch ${e} was shredded; its key is not made again`);
      const secretKey = this.c.randomBytes(32);
      const kp = { secretKey, publicKey: this.c.x25519PublicKey(secretKey) };
      const block = await enqueue(this.dir, epochKeyBlock(this.c, this.root, e, kp.publicKey, this.common()), `epoch-${e}`);
      this.state.epochs[e] = { publicKey: toHex(kp.publicKey), sealedToRoot: toHex(sealEpochKey(this.c, this.root.publicKey, { epoch: e, ...kp })), created: this.now(), block };
      secretKey.fill(0);
      made.push(e);
    }
    await this.save();
    return { made, handover: await this.handover() };
  }

  /** The epoch key pairs the CA holds (opened with the root key). */
  epochKeys(): Map<number, EpochKeyPair> {
    const out = new Map<number, EpochKeyPair>();
    for (const [e, v] of Object.entries(this.state.epochs)) out.set(Number(e), openEpochKey(this.c, this.root.secretKey, Number(e), fromHex(v.publicKey), fromHex(v.sealedToRoot)));
    return out;
  }

  /** (Re)write one hand-over file per live solver with every epoch the CA holds. Returns the files. */
  async handover(): Promise<string[]> {
    const keys = this.epochKeys();
    const files: string[] = [];
    const done = new Set<string>();
    for (const cert of this.liveCertificates('solver')) {
      if (done.has(cert.subject)) continue;
      done.add(cert.subject);
      const solver = fromHex(cert.subject);
      const file = join(paths(this.dir).handover, `${slug(cert.name)}-${cert.subject.slice(0, 16)}.json`);
      await writeHandover(file, { region: this.state.region, solver, name: cert.name, epochs: [...keys].map(([epoch, kp]) => ({ epoch, publicKey: kp.publicKey, sealed: sealEpochKey(this.c, solver, { epoch, ...kp }) })) });
      files.push(file);
    }
    for (const kp of keys.values()) kp.secretKey.fill(0);
    // A solver no longer live (revoked, expired) keeps no file here.
    for (const name of await readdir(paths(this.dir).handover).catch(() => [] as string[])) {
      const f = join(paths(this.dir).handover, name);
      if (!files.includes(f)) await rm(f, { force: true });
    }
    return files;
  }

  /**
   * Crypto-shredding: destroy epoch keys past retention (every epoch with no day inside the
   * retention window), or exactly `epoch`. The hand-over files are rewritten without them, and a
   * solver drops what is no longer in its file. Returns the epochs shredded.
   */
  async shred(o: { epoch?: number } = {}): Promise<{ shredded: number[]; handover: string[] }> {
    const p = this.state.policy;
    const oldest = epochOf(p, Math.floor(this.now() / 86_400_000) - p.retentionDays);
    const gone = Object.keys(this.state.epochs).map(Number).filter((e) => (o.epoch !== undefined ? e === o.epoch : e < oldest));
    if (o.epoch !== undefined && !gone.length) throw new InputError('usage', `the CA holds no key of epoch ${o.epoch} (held: ${Object.keys(this.state.epochs).join(', ') || 'none'})`);
    for (const e of gone) {
      delete this.state.epochs[e];
      this.state.shredded.push(e);
    }
    await this.save();
    return { shredded: gone, handover: await this.handover() };
  }
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 32) || 'solver';
}
