/**
 * How the CA's signed statements reach the notification chain. Every statement is first written
 * to DIR/outbox/ (one file of block bytes each, named in signing order); `sendPending` posts each
 * to a running full node's admin endpoint (`POST <node>/blocks`, src/node/admin.ts) and moves it
 * to DIR/sent/ once the node stored it. A CA machine that is offline keeps its statements until
 * `beeptrace ca publish --node URL`.
 *
 * @example
 * await enqueue(dir, bytes, 'certificate');
 * const sent = await sendPending(dir, 'http://127.0.0.1:9464');
 * @module
 */
import { mkdir, readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { toHex } from '../../core/bytes.ts';
import { blockId } from '../../core/codec/block.ts';
import { BeepTraceError, InputError } from '../../core/errors.ts';
import { nodeCrypto } from '../node-crypto.ts';
import { paths } from './state.ts';
import { writePrivate } from './secrets.ts';

/** A node could not be reached or refused a statement (exit 1; the statement stays in the outbox). @example e instanceof PublishError && e.code === 'node_unreachable' */
export class PublishError extends BeepTraceError {}

/** One statement's fate. @example r.status === 'added' */
export interface SendResult {
  file: string;
  id: string;
  status: string;
}

/** Queue a statement; returns its block id (hex). @example const id = await enqueue(dir, bytes, 'revocation') */
export async function enqueue(dir: string, bytes: Uint8Array, label: string): Promise<string> {
  const id = toHex(blockId(nodeCrypto, bytes));
  const out = paths(dir).outbox;
  await mkdir(out, { recursive: true, mode: 0o700 });
  const seq = (await pending(dir)).length + (await readdir(paths(dir).sent).catch(() => [])).length;
  // atomic: a kill mid-way leaves no cut-off statement for `ca publish` to send
  await writePrivate(join(out, `${String(seq).padStart(6, '0')}-${label}-${id.slice(0, 16)}.block`), bytes);
  return id;
}

/** Statement files not yet sent, in signing order. @example (await pending(dir)).length */
export async function pending(dir: string): Promise<string[]> {
  const names = await readdir(paths(dir).outbox).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith('.block')).sort();
}

/** The admin base URL, checked. @example nodeUrl('http://127.0.0.1:9464/') === 'http://127.0.0.1:9464' */
export function nodeUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InputError('usage', `--node must be a URL like http://127.0.0.1:9464, got "${url}"`);
  }
  if (u.protocol !== 'http:') throw new InputError('usage', `--node must be an http:// URL of a node's admin endpoint (loopback), got "${url}"`);
  return u.origin;
}

/**
 * Hand every pending statement to `send`, in signing order, moving each to DIR/sent once `send`
 * resolved; returns `send`'s results. (npm start's local authority drains into its own node.)
 * @example await drain(dir, (bytes) => net.publish(bytes))
 */
export async function drain<T>(dir: string, send: (bytes: Uint8Array, name: string) => Promise<T>): Promise<T[]> {
  const p = paths(dir);
  await mkdir(p.sent, { recursive: true, mode: 0o700 });
  const out: T[] = [];
  for (const name of await pending(dir)) {
    out.push(await send(new Uint8Array(await readFile(join(p.outbox, name))), name));
    await rename(join(p.outbox, name), join(p.sent, name));
  }
  return out;
}

/**
 * POST every pending statement to `url`/blocks, in order; stops at the first failure (a later
 * statement may depend on an earlier one). Throws PublishError after moving what was sent.
 * @example const results = await sendPending(dir, 'http://127.0.0.1:9464')
 */
export async function sendPending(dir: string, url: string): Promise<SendResult[]> {
  const base = nodeUrl(url);
  let sent = 0;
  return drain(dir, async (bytes, name): Promise<SendResult> => {
    let res: Response;
    try {
      res = await fetch(`${base}/blocks`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from(bytes) });
    } catch (e) {
      throw new PublishError('node_unreachable', `cannot reach the node at ${base} (${(e as Error).message}); ${sent} sent, the rest stay in ${paths(dir).outbox} (beeptrace ca publish --node URL)`);
    }
    const body = (await res.json().catch(() => ({}))) as { id?: string; status?: string; error?: string; message?: string };
    if (!res.ok) throw new PublishError('refused', `the node refused ${name}: ${res.status} ${body.error ?? ''} ${body.message ?? ''}`.trim());
    sent++;
    return { file: name, id: body.id ?? '', status: body.status ?? 'unknown' };
  });
}
