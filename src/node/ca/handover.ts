/**
 * The epoch key hand-over file the CA writes for one certified solver (docs/PROTOCOL.md §3.2):
 * every live epoch's private key sealed to that solver's Ed25519 key (src/core/epoch-handover.ts).
 * The operator copies it to the solver's data folder; the solver re-reads it on every duty, so an
 * epoch the CA shredded (gone from a newer file) is dropped there too.
 *
 * ```json
 * { "format": "beeptrace-epochs/1", "region": 1, "solver": "<Ed25519 public key hex>", "name": "Solver 1",
 *   "epochs": { "2930": { "publicKey": "<X25519 public hex>", "sealed": "<80 bytes hex>" } } }
 * ```
 *
 * @example
 * await writeHandover(file, { region: 1, solver, name: 'Solver 1', epochs: [{ epoch, publicKey, sealed }] });
 * const keys = await readHandover(nodeCrypto, file, solverKey); // Map epoch → { secretKey, publicKey }
 * @module
 */
import { readFile } from 'node:fs/promises';
import type { CryptoProvider } from '../../core/crypto.ts';
import { equal, fromHex, toHex } from '../../core/bytes.ts';
import { InputError } from '../../core/errors.ts';
import { openEpochKey } from '../../core/epoch-handover.ts';
import type { EpochKeyPair } from '../../core/solver.ts';
import { writePrivate } from './secrets.ts';

/** The format tag of a hand-over file. @example o.format === HANDOVER_FORMAT */
export const HANDOVER_FORMAT = 'beeptrace-epochs/1';

/** The file's JSON. @example JSON.parse(text) as HandoverJson */
export interface HandoverJson {
  format: typeof HANDOVER_FORMAT;
  region: number;
  solver: string;
  name: string;
  epochs: Record<string, { publicKey: string; sealed: string }>;
}

/** Write a hand-over file (0600). @example await writeHandover(f, { region, solver, name, epochs }) */
export async function writeHandover(file: string, h: { region: number; solver: Uint8Array; name: string; epochs: { epoch: number; publicKey: Uint8Array; sealed: Uint8Array }[] }): Promise<void> {
  const o: HandoverJson = {
    format: HANDOVER_FORMAT, region: h.region, solver: toHex(h.solver), name: h.name,
    epochs: Object.fromEntries(h.epochs.sort((a, b) => a.epoch - b.epoch).map((e) => [String(e.epoch), { publicKey: toHex(e.publicKey), sealed: toHex(e.sealed) }])),
  };
  await writePrivate(file, `${JSON.stringify(o, null, 2)}\n`);
}

/**
 * Read and open a hand-over file with the solver's key. Throws InputError naming the file
 * (`bad_handover`: wrong format, another solver's file, or a box that does not open).
 * @example const keys = await readHandover(c, 'nodes/solver/epochs.json', solverKey)
 */
export async function readHandover(c: CryptoProvider, file: string, solver: { secretKey: Uint8Array; publicKey: Uint8Array }): Promise<Map<number, EpochKeyPair>> {
  let o: HandoverJson;
  try {
    o = JSON.parse(await readFile(file, 'utf8')) as HandoverJson;
  } catch (e) {
    throw new InputError('bad_handover', `${file}: ${(e as Error).message}`);
  }
  if (!o || o.format !== HANDOVER_FORMAT) throw new InputError('bad_handover', `${file}: "format" must be "${HANDOVER_FORMAT}"`);
  if (typeof o.solver !== 'string' || !/^[0-9a-f]{64}$/.test(o.solver) || !equal(fromHex(o.solver), solver.publicKey)) {
    throw new InputError('bad_handover', `${file}: made for solver ${String(o.solver).slice(0, 16)}…, not for this node's key ${toHex(solver.publicKey).slice(0, 16)}…`);
  }
  const out = new Map<number, EpochKeyPair>();
  for (const [e, v] of Object.entries(o.epochs ?? {})) {
    if (!/^\d+$/.test(e) || !v || !/^[0-9a-f]{64}$/.test(v.publicKey) || !/^[0-9a-f]{160}$/.test(v.sealed)) throw new InputError('bad_handover', `${file}: epochs.${e} must be {"publicKey": 32 bytes hex, "sealed": 80 bytes hex}`);
    try {
      out.set(Number(e), openEpochKey(c, solver.secretKey, Number(e), fromHex(v.publicKey), fromHex(v.sealed)));
    } catch (err) {
      throw new InputError('bad_handover', `${file}: ${(err as Error).message}`);
    }
  }
  return out;
}
