/**
 * `beeptrace ca …`: parse each command's flags strictly, call the CertificateAuthority
 * (src/node/ca/authority.ts), print a summary (or one JSON object with --json). Exit status: 0
 * done, 1 a node unreachable or refusing, 2 bad input (src/node/cli.ts maps InputError to 2).
 *
 * @example
 * await caMain(['init', '--data', 'ca', '--region', '1']); // 0
 * @module
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fromHex, toHex } from '../../core/bytes.ts';
import { InputError } from '../../core/errors.ts';
import { KEY_FILE_ROLES, parseKeyFile, type KeyFileRole } from '../../core/keyfile.ts';
import { parsePolicy } from '../../core/policy.ts';
import { ANY_REGION } from '../../core/codec/records.ts';
import { nodeCrypto } from '../node-crypto.ts';
import { io } from '../io.ts';
import { appConfig, CERT_ROLES, CertificateAuthority, checkpointBoundary } from './authority.ts';
import { backupCa, restoreCa } from './backup.ts';
import { caDir, insideCheckout } from './folder.ts';
import { CA_HELP, CA_OVERVIEW } from './help.ts';
import { nodeUrl, pending, PublishError, sendPending, type SendResult } from './outbox.ts';
import { passphrase, writePrivate, writeRoleKey } from './secrets.ts';
import { loadState, paths, saveState } from './state.ts';
import type { IssuedCertificate } from './state.ts';

type Out = { json: boolean; print: (human: string, obj: object) => void };

const FLAGS = {
  data: { type: 'string' }, region: { type: 'string' }, signal: { type: 'string' }, policy: { type: 'string' }, node: { type: 'string' },
  role: { type: 'string' }, name: { type: 'string' }, out: { type: 'string' }, key: { type: 'string' }, days: { type: 'string' },
  reason: { type: 'string' }, epoch: { type: 'string' }, at: { type: 'string' }, interval: { type: 'string' },
  'ice-servers': { type: 'string' }, from: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' },
} as const;
/** Flags each command accepts (besides --json and --help). */
const ACCEPTS: Record<string, (keyof typeof FLAGS)[]> = {
  init: ['data', 'region', 'signal', 'policy', 'node'], keygen: ['role', 'name', 'region', 'out'],
  certify: ['data', 'role', 'key', 'days', 'region', 'name', 'node'], revoke: ['data', 'key', 'reason', 'at', 'interval', 'node'],
  epoch: ['data', 'epoch', 'node'], shred: ['data', 'epoch'], policy: ['data', 'node'], publish: ['data', 'node'], status: ['data'],
  republish: ['data', 'node'], config: ['data', 'signal', 'ice-servers'], backup: ['data', 'out'], restore: ['data', 'from'],
};
/** Certificates expiring within this many days are shown as `expiring` (renew them). */
const RENEW_DAYS = 28;

/** Run `beeptrace ca ARGV`; returns the exit code. @example await caMain(['status', '--data', 'ca', '--json']) */
export async function caMain(argv: string[]): Promise<number> {
  const cmd = argv[0];
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    (cmd ? io.out : io.err)(CA_OVERVIEW);
    return cmd ? 0 : 2;
  }
  if (!ACCEPTS[cmd]) throw new InputError('usage', `unknown ca command "${cmd}" (one of ${Object.keys(ACCEPTS).join(', ')}; beeptrace ca --help)`);
  const { values: v, positionals } = parseArgs({ args: argv.slice(1), options: FLAGS, strict: true, allowPositionals: cmd === 'policy' });
  if (v.help) {
    io.out(CA_HELP[cmd]);
    return 0;
  }
  for (const k of Object.keys(v)) if (k !== 'json' && !ACCEPTS[cmd].includes(k as keyof typeof FLAGS)) throw new InputError('usage', `ca ${cmd} takes no --${k} (beeptrace ca ${cmd} --help)`);
  const json = v.json === true;
  const out: Out = { json, print: (human, obj) => io.out(json ? `${JSON.stringify(obj)}\n` : human.endsWith('\n') ? human : `${human}\n`) };
  try {
    return await run(cmd, v, positionals, out);
  } catch (e) {
    if (json && e instanceof Error && 'code' in e) io.out(`${JSON.stringify({ error: (e as InputError).code, message: e.message })}\n`);
    if (e instanceof PublishError) {
      io.err(`beeptrace ca: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

type Values = { [K in keyof typeof FLAGS]?: (typeof FLAGS)[K]['type'] extends 'boolean' ? boolean : string };

function need(v: string | undefined, flag: string, what: string): string {
  if (v === undefined || v === '') throw new InputError('usage', `--${flag} ${what} is required`);
  return v;
}
function int(v: string | undefined, flag: string, lo: number, hi: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || +v < lo || +v > hi) throw new InputError('usage', `--${flag} must be an integer ${lo}..${hi}, got "${v}"`);
  return +v;
}

async function run(cmd: string, v: Values, positionals: string[], out: Out): Promise<number> {
  const c = nodeCrypto;
  if (cmd === 'keygen') return keygen(v, out);
  const dir = caDir(v.data);
  const repo = insideCheckout(dir);
  if (repo && (cmd === 'init' || cmd === 'restore')) io.err(`warning: ${dir} is inside the git checkout ${repo}: keep the authority outside it (one git add -A would commit its root key and record)\n`);
  if (cmd === 'restore') {
    const from = need(v.from, 'from', 'FILE (a backup made by beeptrace ca backup)');
    const r = await restoreCa(resolve(from), dir, await passphrase(`the root key in ${from}`), c);
    out.print(`restored ${r.files.length} files from ${from} into ${dir}\n  root key ${r.rootKey} (it opened with the passphrase)\n  next: beeptrace ca status --data ${dir}`, r);
    return 0;
  }
  if (cmd === 'status') return status(dir, out);
  if (cmd === 'backup') {
    const r = await backupCa(dir, resolve(need(v.out, 'out', 'FILE (the backup to write)')));
    out.print(`backed up ${r.files.length} files of ${dir} to ${r.file} (${r.bytes} bytes, a plain tar file, 0600)\n  the root key in it is encrypted with its passphrase: keep the two apart`, r);
    return 0;
  }
  if (cmd === 'config') return config(dir, v, out);
  if (cmd === 'publish') {
    const sent = await sendPending(dir, need(v.node, 'node', 'URL (a full node admin endpoint)'));
    out.print(sent.length ? sent.map((s) => `sent ${s.file}: ${s.status}`).join('\n') : 'nothing to send', { sent });
    return 0;
  }
  if (v.node !== undefined) nodeUrl(v.node);
  if (cmd === 'init') {
    const region = int(v.region, 'region', 0, ANY_REGION - 1) ?? 1;
    const signalUrl = signalFlag(v.signal ?? 'ws://127.0.0.1:8787');
    const policy = v.policy ? parsePolicy(await readText(v.policy, 'policy'), v.policy) : undefined;
    const pass = await passphrase('the new root key', 'BEEPTRACE_PASSPHRASE', true);
    const ca = await CertificateAuthority.init({ dir, region, signalUrl, passphrase: pass, crypto: c, policy });
    const sent = await maybeSend(dir, v.node);
    const p = paths(dir);
    out.print(
      `authority created in ${dir}\n  root key    ${ca.state.rootKey}\n  key file    ${p.rootKey} (encrypted)\n  app config  ${p.appConfig}  (serve it as /config.json: beeptrace serve --config FILE; never inside dist/)\n  pin the key into the app: BEEPTRACE_ROOT_KEY=${ca.state.rootKey} npm run build\n${sentLine(sent, dir)}`,
      { dir, rootKey: ca.state.rootKey, region, signalUrl, rootKeyFile: p.rootKey, config: appConfig(ca.state), configFile: p.appConfig, sent },
    );
    return 0;
  }
  const pass = await passphrase(`the root key of ${dir}`);
  const ca = await CertificateAuthority.open({ dir, passphrase: pass, crypto: c });
  if (cmd === 'certify') {
    const role = need(v.role, 'role', 'diagnostician|solver|validator|venue');
    if (!(role in CERT_ROLES)) throw new InputError('unknown_role', `unknown role "${role}": --role must be one of ${Object.keys(CERT_ROLES).join(', ')}`);
    const key = await subjectKey(need(v.key, 'key', 'PUB (64 hex) or a key file'));
    const days = int(need(v.days, 'days', 'N (validity in days)'), 'days', 1, 3650)!;
    const region = int(v.region, 'region', 0, ANY_REGION) ?? ca.state.region;
    const name = v.name ?? key.name;
    if (!name) throw new InputError('usage', '--name NAME (the public name of the organisation) is required with a bare public key');
    if (new TextEncoder().encode(name).length > 64) throw new InputError('usage', `--name must be at most 64 bytes of UTF-8, got ${new TextEncoder().encode(name).length}`);
    const cert = await ca.certify({ role: role as IssuedCertificate['role'], subject: key.publicKey, region, days, name });
    const sent = await maybeSend(dir, v.node);
    out.print(
      `certified ${role} "${name}" ${cert.subject}\n  region ${region === ANY_REGION ? 'any' : region}, valid until ${iso(cert.notAfter)}\n${cert.handover ? `  epoch keys for it: ${cert.handover}\n` : ''}${sentLine(sent, dir)}`,
      { certificate: cert, sent },
    );
    return 0;
  }
  if (cmd === 'revoke') {
    const key = await subjectKey(need(v.key, 'key', 'PUB (64 hex) or a key file'));
    const interval = int(v.interval, 'interval', 1, 86_400) ?? 600;
    const at = revokeAt(v.at, ca.timeSec(), interval);
    const r = await ca.revoke({ subject: key.publicKey, reason: int(v.reason, 'reason', 0, 255), at });
    const sent = await maybeSend(dir, v.node);
    out.print(`revoked ${r.subject} from ${iso(r.revokedAt)} (a checkpoint boundary)\n${REVOKE_EFFECT(interval)}${sentLine(sent, dir)}`, { revocation: r, sent });
    return 0;
  }
  if (cmd === 'epoch') {
    const r = await ca.epoch({ epoch: int(v.epoch, 'epoch', 0, 2 ** 32 - 1) });
    // the cron job that keeps epochs current also keeps the standing statements inside the window
    const republished = Date.now() >= ca.republishDue() ? await ca.republish() : 0;
    const sent = await maybeSend(dir, v.node);
    out.print(
      `${r.made.length ? `made epoch key(s) ${r.made.join(', ')}` : 'the epoch keys exist already'}\n${r.handover.length ? r.handover.map((f) => `  handed over: ${f}`).join('\n') : '  no certified solver to hand them to yet'}\n${republished ? `  re-published ${republished} standing statements (due: a third of the retention window had passed)\n` : ''}${sentLine(sent, dir)}`,
      { made: r.made, epochs: Object.keys(ca.state.epochs).map(Number), handover: r.handover, republished, sent },
    );
    return 0;
  }
  if (cmd === 'republish') {
    const n = await ca.republish();
    const sent = await maybeSend(dir, v.node);
    out.print(`re-signed ${n} standing statements (policy, certificates, revocations, epoch keys in use); next due ${iso(Math.floor(ca.republishDue() / 1000))}\n${sentLine(sent, dir)}`, { statements: n, republishedAt: ca.state.republishedAt, due: ca.republishDue(), sent });
    return 0;
  }
  if (cmd === 'shred') {
    const r = await ca.shred({ epoch: int(v.epoch, 'epoch', 0, 2 ** 32 - 1) });
    out.print(`${r.shredded.length ? `shredded epoch key(s) ${r.shredded.join(', ')}` : 'no epoch key past retention'}\n${r.handover.map((f) => `  rewritten: ${f}`).join('\n')}`, { shredded: r.shredded, epochs: Object.keys(ca.state.epochs).map(Number), handover: r.handover });
    return 0;
  }
  if (cmd === 'policy') {
    if (positionals.length !== 1) throw new InputError('usage', 'ca policy takes exactly one FILE (the policy JSON)');
    const file = positionals[0];
    const policy = parsePolicy(await readText(file, 'policy'), file);
    const id = await ca.publishPolicy(policy);
    const sent = await maybeSend(dir, v.node);
    out.print(`policy ${file} is valid; statement ${id.slice(0, 16)}… signed\n${sentLine(sent, dir)}`, { block: id, policy, sent });
    return 0;
  }
  throw new InputError('usage', `unknown ca command "${cmd}"`);
}

async function keygen(v: Values, out: Out): Promise<number> {
  const role = need(v.role, 'role', `${KEY_FILE_ROLES.join('|')}`);
  if (!(KEY_FILE_ROLES as readonly string[]).includes(role)) throw new InputError('unknown_role', `unknown role "${role}": --role must be one of ${KEY_FILE_ROLES.join(', ')}`);
  const name = need(v.name, 'name', 'NAME');
  if (new TextEncoder().encode(name).length > 64) throw new InputError('usage', '--name must be at most 64 bytes of UTF-8');
  const region = int(v.region, 'region', 0, ANY_REGION);
  const file = resolve(v.out ?? `${role}-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.key`);
  try {
    readFileSync(file);
    throw new InputError('exists', `${file} exists already; choose another --out`);
  } catch (e) {
    if (e instanceof InputError) throw e;
  }
  const pass = await passphrase(`the new ${role} key`, 'BEEPTRACE_NEW_PASSPHRASE', true);
  const secretKey = nodeCrypto.randomBytes(32);
  const publicKey = toHex(nodeCrypto.ed25519PublicKey(secretKey));
  await writeRoleKey(nodeCrypto, file, { role: role as KeyFileRole, name, region, secretKey }, pass);
  secretKey.fill(0);
  out.print(`${role} key "${name}" written to ${file} (encrypted, 0600)\n  public key ${publicKey}`, { role, name, region, file, publicKey });
  return 0;
}

async function status(dir: string, out: Out): Promise<number> {
  const st = await loadState(dir);
  const t = Math.floor(Date.now() / 1000);
  const revokedAt = (s: string) => st.revocations.filter((r) => r.subject === s).reduce((m, r) => Math.min(m, r.revokedAt), Infinity);
  const certs = st.certificates.map((cert) => ({
    ...cert, state: revokedAt(cert.subject) <= t ? 'revoked' : cert.notAfter <= t ? 'expired' : cert.notAfter - t < RENEW_DAYS * 86_400 ? 'expiring' : 'live',
  }));
  const due = (st.republishedAt ?? st.created) + (st.policy.retentionDays * 86_400_000) / 3;
  const outbox = await pending(dir);
  const lines = [
    `authority ${dir}`,
    `  region ${st.region}, root key ${st.rootKey}, signaling ${st.signalUrl}`,
    `  policy: ${st.policy.rules.length} rules, retention ${st.policy.retentionDays} days, epochs of ${st.policy.epochDays} days`,
    `  certificates (${certs.length}):`,
    ...certs.map((x) => `    ${x.state.padEnd(8)}${x.role.padEnd(14)}${x.subject.slice(0, 16)}…  "${x.name}"  region ${x.region === ANY_REGION ? 'any' : x.region}, until ${iso(x.notAfter)}`),
    `  revocations (${st.revocations.length}):`,
    ...st.revocations.map((r) => `    ${r.subject.slice(0, 16)}…  from ${iso(r.revokedAt)}  reason ${r.reason}`),
    `  epochs held: ${Object.keys(st.epochs).join(', ') || 'none'}; shredded: ${st.shredded.join(', ') || 'none'}`,
    `  outbox: ${outbox.length} statement(s) waiting${outbox.length ? ' (beeptrace ca publish --node URL)' : ''}`,
    `  standing statements: ${st.republishedAt ? `re-published ${iso(Math.floor(st.republishedAt / 1000))}` : 'never re-published'}; due ${iso(Math.floor(due / 1000))}${Date.now() >= due ? ' — OVERDUE: beeptrace ca republish (nodes prune them after ' + st.policy.retentionDays + ' days)' : ''}`,
    ...certs.filter((x) => x.state === 'expiring').map((x) => `  renew: ${x.role} "${x.name}" expires ${iso(x.notAfter)} (beeptrace ca certify --role ${x.role} --key … --days N)`),
  ];
  out.print(lines.join('\n'), {
    dir, region: st.region, rootKey: st.rootKey, signalUrl: st.signalUrl, policy: st.policy, certificates: certs, revocations: st.revocations,
    epochs: Object.entries(st.epochs).map(([e, x]) => ({ epoch: Number(e), publicKey: x.publicKey, created: x.created })), shredded: st.shredded, outbox,
    republishedAt: st.republishedAt ?? null, republishDue: due, iceServers: st.iceServers ?? [],
  });
  return 0;
}

/** `ca config`: change the signaling URL or the ICE servers after init; rewrites config.json. */
async function config(dir: string, v: Values, out: Out): Promise<number> {
  const st = await loadState(dir);
  if (v.signal === undefined && v['ice-servers'] === undefined) throw new InputError('usage', 'ca config changes --signal URL and/or --ice-servers JSON|FILE (beeptrace ca config --help)');
  if (v.signal !== undefined) st.signalUrl = signalFlag(v.signal);
  if (v['ice-servers'] !== undefined) {
    const arg = v['ice-servers'].trim();
    st.iceServers = parseIceServers(arg.startsWith('[') ? arg : await readText(arg, 'ICE servers file'), arg.startsWith('[') ? '--ice-servers' : arg);
  }
  await saveState(dir, st);
  const cfg = appConfig(st);
  await writePrivate(paths(dir).appConfig, `${JSON.stringify(cfg, null, 2)}\n`);
  out.print(
    `${paths(dir).appConfig} rewritten:\n  signaling ${cfg.signalUrl}\n  ICE servers ${cfg.iceServers.length ? JSON.stringify(cfg.iceServers) : 'none'}\n  copy it to where the app's /config.json is served; apps take it at their next start (nodes keep their own --signal)`,
    { configFile: paths(dir).appConfig, config: cfg },
  );
  return 0;
}

function signalFlag(url: string): string {
  if (!/^wss?:\/\/[^\s]+$/.test(url)) throw new InputError('usage', `--signal must be a ws:// or wss:// URL, got "${url}"`);
  return url;
}

/**
 * Check an ICE server list as RTCPeerConnection takes it: `[{"urls": "stun:…" | ["turn:…"], "username"?, "credential"?}]`.
 * @example parseIceServers('[{"urls":"stun:stun.example.org:3478"}]', '--ice-servers')
 */
export function parseIceServers(text: string, where: string): unknown[] {
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch (e) {
    throw new InputError('usage', `${where}: not JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(list)) throw new InputError('usage', `${where}: must be a JSON list of ICE servers`);
  list.forEach((s, i) => {
    const o = s as Record<string, unknown>;
    if (!o || typeof o !== 'object' || Array.isArray(o)) throw new InputError('usage', `${where}: item ${i} must be an object {"urls": …}`);
    for (const k of Object.keys(o)) if (!['urls', 'username', 'credential'].includes(k)) throw new InputError('usage', `${where}: item ${i} has an unknown key "${k}"`);
    const urls = Array.isArray(o.urls) ? o.urls : [o.urls];
    if (!urls.length || !urls.every((u) => typeof u === 'string' && /^(stun|stuns|turn|turns):[^\s]+$/.test(u))) throw new InputError('usage', `${where}: item ${i}: "urls" must be stun:, stuns:, turn: or turns: URLs`);
    for (const k of ['username', 'credential']) if (o[k] !== undefined && typeof o[k] !== 'string') throw new InputError('usage', `${where}: item ${i}: "${k}" must be a string`);
  });
  return list;
}

/**
 * The revocation time: \`--at\` (ISO 8601 or Unix seconds) on a checkpoint boundary, or by default
 * the boundary at or before now. A time between boundaries is refused, naming the two around it.
 * @example revokeAt(undefined, 1_000_000_123, 600) === 999_999_600
 */
export function revokeAt(at: string | undefined, nowSec: number, interval: number): number {
  if (at === undefined || at === 'now') return checkpointBoundary(nowSec, interval);
  const sec = /^\d+$/.test(at) ? Number(at) : Date.parse(at) / 1000;
  if (!Number.isFinite(sec) || !/^\d+$|^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(at)) throw new InputError('usage', `--at must be a time such as 2026-03-02T09:40:00Z (with its zone) or Unix seconds, got "${at}"`);
  if (sec % interval !== 0) {
    const before = checkpointBoundary(sec, interval);
    throw new InputError('usage', `--at ${at} is not on a checkpoint boundary (every ${interval} s): use ${iso(before)} (before it) or ${iso(before + interval)}`);
  }
  return sec;
}

/** What a revocation does, said where it is made (docs/PROTOCOL.md §9.1). */
const REVOKE_EFFECT = (interval: number) => `  What it does: nodes still store and pass on what this key signs (nothing is refused), but a
  diagnosis, notification or checkpoint it signed with a time from then on never counts: no
  solver reads it, no app matches it, no quorum counts it. What it signed before then counts once
  a final checkpoint of an interval that ends by then holds it — so its statements of the last
  ${interval / 60} minutes before then stop counting until the validators close that interval (its end +
  the policy's clock skew) and agree; anything no such checkpoint holds never counts again.
  Re-issue what must survive with another key. A venue key's posters are refused by every app.
`;

async function maybeSend(dir: string, node: string | undefined): Promise<SendResult[] | null> {
  return node === undefined ? null : sendPending(dir, node);
}
function sentLine(sent: SendResult[] | null, dir: string): string {
  return sent === null ? `  waiting in ${paths(dir).outbox} (beeptrace ca publish --data ${dir} --node URL)` : `  sent to the node: ${sent.map((s) => s.status).join(', ') || 'nothing'}`;
}

async function subjectKey(arg: string): Promise<{ publicKey: Uint8Array; name?: string }> {
  if (/^[0-9a-fA-F]{64}$/.test(arg)) return { publicKey: fromHex(arg.toLowerCase()) };
  const f = parseKeyFile(await readText(arg, 'key file (or --key is not 64 hex)'));
  return { publicKey: f.publicKeyBytes, name: f.name };
}
async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new InputError('file', `cannot read ${what} ${file}: ${(e as Error).message}`);
  }
}
const iso = (sec: number) => new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
