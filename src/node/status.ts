/**
 * What a full node says about itself (src/node/run-node.ts): a status line every so often — role,
 * peers, blocks per chain, the last final checkpoint per chain — and the signaling server's
 * reachability, told once when it is lost and once when it is back (the client retries with
 * backoff in between, silently).
 *
 * @example
 * const cps = await CheckpointWatch.open(ledger);
 * log(statusLine('archive', net, ledger, cps)); // "status: archive, 2 peers, tracing 120 blocks (final checkpoint to 2026-11-30T09:00:00Z), notification 45 blocks (no final checkpoint yet)"
 * transport.sig.onState = signalingReporter('ws://127.0.0.1:8787', log);
 * @module
 */
import { equal, toHex } from '../core/bytes.ts';
import { Kind } from '../core/codec/block.ts';
import { decodeCheckpoint } from '../core/codec/records.ts';
import { checkpointRecords, type SignedCheckpoint, checkpointKey } from '../core/ledger/checkpoints.ts';
import type { Ledger } from '../core/ledger/ledger.ts';
import { Chain, type ChainId } from '../core/types.ts';

/**
 * The checkpoint records of the notification chain, kept up to date as blocks arrive (so a status
 * line does not re-read them from disk).
 * @example const w = await CheckpointWatch.open(ledger); w.lastFinal(Chain.TRACING)?.toTime
 */
export class CheckpointWatch {
  private groups = new Map<string, SignedCheckpoint>();
  private constructor(private readonly ledger: Ledger) {}

  static async open(ledger: Ledger): Promise<CheckpointWatch> {
    const w = new CheckpointWatch(ledger);
    ledger.onBlock((_e, b) => {
      if (b.kind !== Kind.CHECKPOINT || !b.signer) return;
      try {
        w.add({ ...decodeCheckpoint(b.body), signers: [b.signer] });
      } catch {
        // the ledger accepted it, so it decodes; a status line is no place to fail
      }
    });
    for (const r of await checkpointRecords(ledger)) w.add(r);
    return w;
  }

  private add(r: SignedCheckpoint): void {
    const key = checkpointKey(r);
    let g = this.groups.get(key);
    if (!g) this.groups.set(key, (g = { ...r, signers: [] }));
    for (const s of r.signers) if (!g.signers.some((x) => equal(x, s))) g.signers.push(s);
  }

  /** The final checkpoint (the policy's quorum of validators) of `chain` that ends latest. */
  lastFinal(chain: ChainId): SignedCheckpoint | undefined {
    const quorum = this.ledger.authority.policy.checkpointQuorum;
    let best: SignedCheckpoint | undefined;
    for (const g of this.groups.values()) if (g.chain === chain && g.signers.length >= quorum && (!best || g.toTime > best.toTime)) best = g;
    return best;
  }
}

const iso = (sec: number) => new Date(sec * 1000).toISOString().replace('.000Z', 'Z');

/**
 * One status line.
 * @example statusLine('validator', net, ledger, cps) // "status: validator, 1 peer, tracing 3 blocks (no final checkpoint yet), notification 9 blocks (final checkpoint to 2026-11-30T09:00:00Z)"
 */
export function statusLine(role: string, node: { peers(): unknown[] }, ledger: Ledger, cps: CheckpointWatch): string {
  const peers = node.peers().length;
  const chains = ([[Chain.TRACING, 'tracing'], [Chain.NOTIFICATION, 'notification']] as const).filter(([c]) => ledger.carries(c)).map(([c, name]) => {
    const cp = cps.lastFinal(c);
    return `${name} ${ledger.count(c)} blocks (${cp ? `final checkpoint to ${iso(cp.toTime)}` : 'no final checkpoint yet'})`;
  });
  return `status: ${role}, ${peers} peer${peers === 1 ? '' : 's'}, ${chains.join(', ')}`;
}

/**
 * An `onState` handler for the SignalingClient that logs transitions only: the first connection,
 * a lost server once ("… unreachable; retrying with backoff"), and its return once.
 * @example transport.sig.onState = signalingReporter(url, log);
 */
export function signalingReporter(url: string, log: (m: string) => void): (state: 'connecting' | 'open' | 'closed', detail?: string) => void {
  let was: 'never' | 'open' | 'lost' = 'never';
  return (state) => {
    if (state === 'open') {
      log(was === 'lost' ? `signaling server ${url} reachable again` : `signaling server ${url} connected`);
      was = 'open';
    } else if (state === 'closed' && was !== 'lost') {
      log(`signaling server ${url} unreachable; retrying with backoff`);
      was = 'lost';
    }
  };
}
