/**
 * Help texts of `beeptrace ca` and each of its commands (README.md "Run your own authority").
 * @example process.stdout.write(CA_HELP.certify)
 * @module
 */

const PASS = `Passphrases: BEEPTRACE_PASSPHRASE in the environment, or asked without echo on a terminal
(never a flag). BEEPTRACE_NEW_PASSPHRASE seals a key file made by keygen for another operator.`;

/** The overview. @example CA_OVERVIEW.includes('ca init') */
export const CA_OVERVIEW = `beeptrace ca — a health authority's certificate authority (keys, certificates, epochs, policy)

Usage: beeptrace ca COMMAND [options]   (beeptrace ca COMMAND --help for each)

  init      [--data DIR] [--region R] [--signal URL] [--policy FILE] create the authority: root key, config.json
  keygen    --role ROLE --name NAME [--region R] [--out FILE]         an encrypted role key file for an operator
  certify   [--data DIR] --role ROLE --key PUB|FILE --days N [--region R] [--name NAME]
  revoke    [--data DIR] --key PUB|FILE [--at TIME] [--interval S] [--reason N]
  epoch     [--data DIR] [--epoch E]         new epoch keys, handed to every solver (and republish when due)
  shred     [--data DIR] [--epoch E]         destroy epoch keys past retention
  policy    [--data DIR] FILE                validate and publish a policy
  republish [--data DIR]                     sign the standing statements again (before retention prunes them)
  publish   [--data DIR] --node URL          send statements waiting in the outbox
  status    [--data DIR]                     what the authority issued; renewals and re-publication due
  config    [--data DIR] [--signal URL] [--ice-servers JSON|FILE]   change the app's config.json after init
  backup    [--data DIR] --out FILE          the whole authority folder as one tar file
  restore   [--data DIR] --from FILE         a backup into a new folder, checked with the root key's passphrase

DIR: the authority's folder; default $BEEPTRACE_CA_DIR, else $XDG_DATA_HOME/beeptrace/ca
(~/.local/share/beeptrace/ca) — outside any checkout (init warns about a folder inside one).

ROLE: diagnostician | solver | validator | venue (keygen also: root).
Every command takes --json (one JSON object on stdout) and --help. Commands that sign take
--node URL (a full node's admin endpoint, beeptrace node --admin): the statement is sent at once;
without it, it waits in DIR/outbox until beeptrace ca publish.
Exit status: 0 done; 1 a node could not be reached or refused (statements stay in the outbox);
2 bad input (usage, wrong passphrase, unknown role, a policy that does not validate).

${PASS}
`;

/** Per-command help. @example CA_HELP.init */
export const CA_HELP: Record<string, string> = {
  init: `beeptrace ca init [--data DIR] [--region R] [--signal URL] [--policy FILE] [--node URL] [--json]

Create an authority in DIR (mode 0700; default $BEEPTRACE_CA_DIR, else ~/.local/share/beeptrace/ca):
the root key (DIR/root.key, encrypted with the passphrase), DIR/ca.json (what the CA issues),
DIR/config.json (the app configuration to serve as /config.json: region, signaling URL, root
public key, ICE servers; change it later with beeptrace ca config), and the policy statement
(DEFAULT_POLICY or --policy FILE) in DIR/outbox. Pin the root key into the app's build with
BEEPTRACE_ROOT_KEY=<root key> npm run build (docs/DEPLOY.md §3).

  --region  region number 0..65534 (default 1)
  --signal  the signaling URL browsers use (default ws://127.0.0.1:8787)
  --policy  a policy JSON file (docs/PROTOCOL.md §11.6)

${PASS}
`,
  keygen: `beeptrace ca keygen --role ROLE --name NAME [--region R] [--out FILE] [--json]

Make a new role key and write it encrypted (scrypt + XChaCha20-Poly1305, docs/PROTOCOL.md §3.3)
to FILE (default ./<role>-<name>.key, mode 0600). Prints its public key: give it to the CA for
beeptrace ca certify --key. The same file opens the app's diagnostician mode.

  --role    root | diagnostician | solver | validator | venue
  --name    the organisation's public name (≤ 64 bytes)

${PASS}
`,
  certify: `beeptrace ca certify [--data DIR] --role ROLE --key PUB|FILE --days N [--region R] [--name NAME] [--node URL] [--json]

Sign a CERTIFICATE statement: the key may act as ROLE in region R (default the CA's; 65535 = every
region) for N days (valid from an hour ago, for clock skew). A new solver also gets the current
epoch keys: DIR/handover/<name>-<key>.json, to copy to the solver's data folder as epochs.json.

  --role    diagnostician | solver | validator | venue
  --key     the subject's Ed25519 public key (64 hex), or its key file (only the public part is read)
  --name    public name (default: the key file's name)

${PASS}
`,
  revoke: `beeptrace ca revoke [--data DIR] --key PUB|FILE [--at TIME] [--interval S] [--reason N] [--node URL] [--json]

Sign a REVOCATION statement for the key from TIME on. It does not make nodes refuse anything:
they still store and pass on what the key signs (so every node keeps the same set, whatever
order blocks arrive in; docs/PROTOCOL.md §9.1). What changes is what counts: a diagnosis,
notification or checkpoint the key signed with a time from TIME on never counts — no solver
reads it, no app matches it, no checkpoint quorum counts it. What it signed before TIME counts
only once a final checkpoint of an interval that ends by TIME holds it; its statements of the
interval just before TIME stop counting until the validators close that interval (its end + the
policy's clock skew) and agree, and a statement no such checkpoint holds never counts again.
Re-issue what must survive with another key. Apps refuse a revoked venue key's posters.
A revoked solver's hand-over file is removed from DIR/handover.

  --at        when the key stops counting: a checkpoint boundary (a multiple of --interval since
              the Unix epoch), as 2026-03-02T09:40:00Z or Unix seconds, at or before the
              compromise; default: the boundary at or before now. Another time exits 2 and names
              the boundaries around it.
  --interval  the validators' checkpoint interval in seconds (beeptrace node --interval; default 600)
  --reason    0..255, informative (default 0)

${PASS}
`,
  epoch: `beeptrace ca epoch [--data DIR] [--epoch E] [--node URL] [--json]

Make the epoch keys of the current epoch and the next (or exactly epoch E) if not made yet, sign
their EPOCH_KEY statements, and hand the private halves to every certified solver, each sealed to
that solver's key (DIR/handover/*.json; never plain hex). Run it at least once per epoch
(policy.epochDays), e.g. from cron. The CA keeps each epoch's secret sealed to its own root key.
When a third of the retention window has passed since the standing statements were last signed,
it also re-signs them (as beeptrace ca republish), so a weekly cron job keeps both current.

${PASS}
`,
  shred: `beeptrace ca shred [--data DIR] [--epoch E] [--json]

Crypto-shredding: destroy every epoch key with no day inside the retention window (or exactly
epoch E, e.g. a compromised one) and rewrite the hand-over files without it. A solver re-reads its
file on every duty and drops keys no longer in it (and drops keys past retention by itself):
records sealed to a shredded epoch become unreadable.

${PASS}
`,
  policy: `beeptrace ca policy [--data DIR] FILE [--node URL] [--json]

Validate FILE (thresholds, levels, retention, epochs, advice texts per language; docs/PROTOCOL.md
§11.6) and sign a POLICY statement. A policy that does not validate exits 2 with a message naming
the field, and nothing is signed.

${PASS}
`,
  republish: `beeptrace ca republish [--data DIR] [--node URL] [--json]

Sign the standing statements again as new blocks: the policy in force, every certificate that still
covers time inside the retention window (revoked ones too), every revocation, and the epoch keys
not shredded that may still hold records. Nodes delete every block older than the retention window
(policy.retentionDays, default 14), the CA's statements too (docs/PROTOCOL.md §10.3): without
this, a node restarted or started after that no longer knows the certificates and keys, and the
whole region stops. Run it at least once per window (ca status says when it is due; ca epoch
does it when due).

${PASS}
`,
  config: `beeptrace ca config [--data DIR] [--signal URL] [--ice-servers JSON|FILE] [--json]

Change the app's configuration after init: the signaling URL browsers use and the ICE servers
(STUN/TURN) for WebRTC, kept in ca.json and written to DIR/config.json. Copy that file to where
the app's /config.json is served (beeptrace serve --config reads it on every request); apps take
it at their next start. Full nodes keep their own --signal. No passphrase needed.

  --signal       ws:// or wss:// URL
  --ice-servers  a JSON list, or a file holding one:
                 '[{"urls":"stun:stun.example.org:3478"},{"urls":["turn:turn.example.org:3478"],"username":"u","credential":"p"}]'
                 ('[]' for none)
`,
  backup: `beeptrace ca backup [--data DIR] --out FILE [--json]

Write the whole authority folder — root.key (encrypted), ca.json (certificates, revocations, the
epoch secrets sealed to the root key), config.json, outbox/, sent/, handover/ — into one plain tar
file (0600; tar -tf lists it). Keep it away from the passphrase. Back up after every certify,
revoke, epoch and republish: a restored older folder forgets what was issued after it (and
would not re-publish it). No passphrase needed.
`,
  restore: `beeptrace ca restore [--data DIR] --from FILE [--json]

Restore a backup into DIR, which must not hold an authority. The root key is opened with its
passphrase and checked against ca.json before anything is put in place: a restore gives a
working authority or leaves nothing.

${PASS}
`,
  publish: `beeptrace ca publish [--data DIR] --node URL [--json]

Send the statements waiting in DIR/outbox to a full node's admin endpoint (POST URL/blocks), in
signing order; each sent one moves to DIR/sent. No passphrase needed.
`,
  status: `beeptrace ca status [--data DIR] [--json]

List the authority: region, root key, policy, certificates (live, expiring within 28 days,
expired, revoked), revocations, epochs held and shredded, statements waiting in the outbox, and
when the standing statements were last re-published and are next due (OVERDUE when late).
No passphrase needed.
`,
};
