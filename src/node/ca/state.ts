/**
 * The CA's record of what it issued, kept in its data folder (DIR/ca.json, mode 0600): region,
 * signaling URL, root public key, the policy in force, issued certificates, revocations, epochs
 * (each epoch's private key sealed to the CA root's own key, docs/PROTOCOL.md §3.2) and the epochs
 * it shredded. `ca status` lists it. Nothing in it is secret in the clear.
 *
 * @example
 * const st = await loadState(dir); st.certificates.length; await saveState(dir, st);
 * @module
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../../core/errors.ts';
import { parsePolicy, type Policy } from '../../core/policy.ts';
import { writePrivate } from './secrets.ts';

/** The format tag of DIR/ca.json. @example st.format === CA_FORMAT */
export const CA_FORMAT = 'beeptrace-ca/1';

/** A certificate as the CA issued it (hex fields, seconds). @example st.certificates[0].role === 'solver' */
export interface IssuedCertificate {
  serial: string;
  role: 'diagnostician' | 'solver' | 'validator' | 'venue';
  region: number;
  subject: string;
  name: string;
  notBefore: number;
  notAfter: number;
  /** Block id of the statement. */
  block: string;
}

/** What DIR/ca.json holds. @example (await loadState(dir)).region */
export interface CaState {
  format: typeof CA_FORMAT;
  region: number;
  signalUrl: string;
  rootKey: string;
  created: number;
  policy: Policy;
  /** Block time of the last policy statement (a new one must be later). */
  policyTime: number;
  certificates: IssuedCertificate[];
  revocations: { subject: string; revokedAt: number; reason: number; block: string }[];
  /** epoch → its public key and its secret sealed to the root key (80 bytes hex). */
  epochs: Record<string, { publicKey: string; sealedToRoot: string; created: number; block: string }>;
  shredded: number[];
  /** When the standing statements were last re-published (ms; `ca republish`, absent before the first). */
  republishedAt?: number;
  /** The app's ICE servers (config.json; `ca config --ice-servers`), absent = none. */
  iceServers?: unknown[];
}

/** Paths inside the CA folder. @example paths(dir).rootKey */
export function paths(dir: string) {
  return {
    state: join(dir, 'ca.json'),
    rootKey: join(dir, 'root.key'),
    appConfig: join(dir, 'config.json'),
    outbox: join(dir, 'outbox'),
    sent: join(dir, 'sent'),
    handover: join(dir, 'handover'),
  };
}

/** Read DIR/ca.json. Throws InputError('no_ca') when DIR holds no CA. @example await loadState('ca') */
export async function loadState(dir: string): Promise<CaState> {
  const file = paths(dir).state;
  if (!existsSync(file)) throw new InputError('no_ca', `${dir} holds no authority (no ca.json): create one with beeptrace ca init --data ${dir}`);
  let o: CaState;
  try {
    o = JSON.parse(await readFile(file, 'utf8')) as CaState;
  } catch (e) {
    throw new InputError('bad_config', `${file}: ${(e as Error).message}`);
  }
  if (o.format !== CA_FORMAT) throw new InputError('bad_config', `${file}: "format" must be "${CA_FORMAT}"`);
  o.policy = parsePolicy(JSON.stringify(o.policy), file);
  return o;
}

/** Write DIR/ca.json (0600). @example await saveState(dir, st) */
export function saveState(dir: string, st: CaState): Promise<void> {
  return writePrivate(paths(dir).state, `${JSON.stringify(st, null, 2)}\n`);
}
