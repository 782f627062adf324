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
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fromHex, toHex } from '../../core/bytes.ts';
import { InputError } from '../../core/errors.ts';
import { KEY_FILE_ROLES, parseKeyFile, type KeyFileRole } from '../../core/keyfile.ts';
import { parsePolicy } from '../../core/policy.ts';
import { ANY_REGION } from '../../core/codec/records.ts';
import { nodeCrypto } from '../node-crypto.ts';
import { io } from '../io.ts';
import { appConfig, CERT_ROLES, CertificateAuthority } from './authority.ts';
import { CA_HELP, CA_OVERVIEW } from './help.ts';
import { nodeUrl, pending, PublishError, sendPending, type SendResult } from './outbox.ts';
import { newKeyPassphrase, passphrase, writeRoleKey } from './secrets.ts';
import { loadState, paths } from './state.ts';
import type { IssuedCertificate } from './state.ts';

type Out = { json: boolean; print: (human: string, obj: object) => void };

const FLAGS = {
  data: { type: 'string' }, region: { type: 'string' }, signal: { type: 'string' }, policy: { type: 'string' }, node: { type: 'string' },
  role: { type: 'string' }, name: { type: 'string' }, out: { type: 'string' }, key: { type: 'string' }, days: { type: 'string' },
  reason: { type: 'string' }, epoch: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' },
} as const;
/** Flags each command accepts (besides --json and --help). */
const ACCEPTS: Record<string, (keyof typeof FLAGS)[]> = {
  init: ['data', 'region', 'signal', 'policy', 'node'], keygen: ['role', 'name', 'region', 'out'],
  certify: ['data', 'role', 'key', 'days', 'region', 'name', 'node'], revoke: ['data', 'key', 'reason', 'node'],
  epoch: ['data', 'epoch', 'node'], shred: ['data', 'epoch'], policy: ['data', 'node'], publish: ['data', 'node'], status: ['data'],
};

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
  const dir = resolve(need(v.data, 'data', 'DIR (the authority folder)'));
  if (cmd === 'status') return status(dir, out);
  if (cmd === 'publish') {
    const sent = await sendPending(dir, need(v.node, 'node', 'URL (a full node admin endpoint)'));
    out.print(sent.length ? sent.map((s) => `sent ${s.file}: ${s.status}`).join('\n') : 'nothing to send', { sent });
    return 0;
  }
  if (v.node !== undefined) nodeUrl(v.node);
  if (cmd === 'init') {
    const region = int(v.region, 'region', 0, ANY_REGION - 1) ?? 1;
    const signalUrl = v.signal ?? 'ws://127.0.0.1:8787';
    if (!/^wss?:\/\/[^\s]+$/.test(signalUrl)) throw new InputError('usage', `--signal must be a ws:// or wss:// URL, got "${signalUrl}"`);
    const policy = v.policy ? parsePolicy(await readText(v.policy, 'policy'), v.policy) : undefined;
    const pass = await passphrase('the new root key', 'BEEPTRACE_PASSPHRASE', true);
    const ca = await CertificateAuthority.init({ dir, region, signalUrl, passphrase: pass, crypto: c, policy });
    const sent = await maybeSend(dir, v.node);
    const p = paths(dir);
    out.print(
      `authority created in ${dir}\n  root key    ${ca.state.rootKey}\n  key file    ${p.rootKey} (encrypted)\n  app config  ${p.appConfig}  (serve it as /config.json beside the app)\n${sentLine(sent, dir)}`,
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
    const r = await ca.revoke({ subject: key.publicKey, reason: int(v.reason, 'reason', 0, 255) });
    const sent = await maybeSend(dir, v.node);
    out.print(`revoked ${r.subject} from ${iso(r.revokedAt)}\n${sentLine(sent, dir)}`, { revocation: r, sent });
    return 0;
  }
  if (cmd === 'epoch') {
    const r = await ca.epoch({ epoch: int(v.epoch, 'epoch', 0, 2 ** 32 - 1) });
    const sent = await maybeSend(dir, v.node);
    out.print(
      `${r.made.length ? `made epoch key(s) ${r.made.join(', ')}` : 'the epoch keys exist already'}\n${r.handover.length ? r.handover.map((f) => `  handed over: ${f}`).join('\n') : '  no certified solver to hand them to yet'}\n${sentLine(sent, dir)}`,
      { made: r.made, epochs: Object.keys(ca.state.epochs).map(Number), handover: r.handover, sent },
    );
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
  const exists = () => new InputError('exists', `${file} exists already; choose another --out`);
  if (existsSync(file)) throw exists(); // before asking for a passphrase
  const pass = await newKeyPassphrase(`the new ${role} key`);
  const secretKey = nodeCrypto.randomBytes(32);
  const publicKey = toHex(nodeCrypto.ed25519PublicKey(secretKey));
  try {
    await writeRoleKey(nodeCrypto, file, { role: role as KeyFileRole, name, region, secretKey }, pass, undefined, { exclusive: true });
  } catch (e) {
    throw (e as InputError).code === 'exists' ? exists() : e;
  } finally {
    secretKey.fill(0);
  }
  out.print(`${role} key "${name}" written to ${file} (encrypted, 0600)\n  public key ${publicKey}`, { role, name, region, file, publicKey });
  return 0;
}

async function status(dir: string, out: Out): Promise<number> {
  const st = await loadState(dir);
  const t = Math.floor(Date.now() / 1000);
  const revokedAt = (s: string) => st.revocations.filter((r) => r.subject === s).reduce((m, r) => Math.min(m, r.revokedAt), Infinity);
  const certs = st.certificates.map((cert) => ({ ...cert, state: revokedAt(cert.subject) <= t ? 'revoked' : cert.notAfter <= t ? 'expired' : 'live' }));
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
  ];
  out.print(lines.join('\n'), {
    dir, region: st.region, rootKey: st.rootKey, signalUrl: st.signalUrl, policy: st.policy, certificates: certs, revocations: st.revocations,
    epochs: Object.entries(st.epochs).map(([e, x]) => ({ epoch: Number(e), publicKey: x.publicKey, created: x.created })), shredded: st.shredded, outbox,
  });
  return 0;
}

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
