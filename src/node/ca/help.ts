/**
 * Help texts of `beeptrace ca` and each of its commands (README.md "Run your own authority").
 * @example process.stdout.write(CA_HELP.certify)
 * @module
 */

const PASS = `Passphrases: BEEPTRACE_PASSPHRASE in the environment, or asked without echo on a terminal
(never a flag). keygen seals the new key file with a passphrase of its own: BEEPTRACE_NEW_PASSPHRASE,
or asked twice on a terminal (never BEEPTRACE_PASSPHRASE: the operator must not need the root's).`;

/** The overview. @example CA_OVERVIEW.includes('ca init') */
export const CA_OVERVIEW = `beeptrace ca — a health authority's certificate authority (keys, certificates, epochs, policy)

Usage: beeptrace ca COMMAND [options]   (beeptrace ca COMMAND --help for each)

  init      --data DIR [--region R] [--signal URL] [--policy FILE]   create the authority: root key, config.json
  keygen    --role ROLE --name NAME [--region R] [--out FILE]         an encrypted role key file for an operator
  certify   --data DIR --role ROLE --key PUB|FILE --days N [--region R] [--name NAME]
  revoke    --data DIR --key PUB|FILE [--reason N]
  epoch     --data DIR [--epoch E]                                    new epoch keys, handed to every solver
  shred     --data DIR [--epoch E]                                    destroy epoch keys past retention
  policy    --data DIR FILE                                           validate and publish a policy
  publish   --data DIR --node URL                                     send statements waiting in the outbox
  status    --data DIR                                                what the authority issued

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
  init: `beeptrace ca init --data DIR [--region R] [--signal URL] [--policy FILE] [--node URL] [--json]

Create an authority in DIR (mode 0700): the root key (DIR/root.key, encrypted with the passphrase),
DIR/ca.json (what the CA issues), DIR/config.json (the app configuration to serve as /config.json
beside the app, or to bake into a build: region, signaling URL, root public key), and the policy
statement (DEFAULT_POLICY or --policy FILE) in DIR/outbox.

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
  certify: `beeptrace ca certify --data DIR --role ROLE --key PUB|FILE --days N [--region R] [--name NAME] [--node URL] [--json]

Sign a CERTIFICATE statement: the key may act as ROLE in region R (default the CA's; 65535 = every
region) for N days (valid from an hour ago, for clock skew). A new solver also gets the current
epoch keys: DIR/handover/<name>-<key>.json, to copy to the solver's data folder as epochs.json.

  --role    diagnostician | solver | validator | venue
  --key     the subject's Ed25519 public key (64 hex), or its key file (only the public part is read)
  --name    public name (default: the key file's name)

${PASS}
`,
  revoke: `beeptrace ca revoke --data DIR --key PUB|FILE [--reason N] [--node URL] [--json]

Sign a REVOCATION statement: blocks the key signs from now on are refused by every node.
A revoked solver's hand-over file is removed from DIR/handover.

  --reason  0..255, informative (default 0)

${PASS}
`,
  epoch: `beeptrace ca epoch --data DIR [--epoch E] [--node URL] [--json]

Make the epoch keys of the current epoch and the next (or exactly epoch E) if not made yet, sign
their EPOCH_KEY statements, and hand the private halves to every certified solver, each sealed to
that solver's key (DIR/handover/*.json; never plain hex). Run it at least once per epoch
(policy.epochDays), e.g. from cron. The CA keeps each epoch's secret sealed to its own root key.

${PASS}
`,
  shred: `beeptrace ca shred --data DIR [--epoch E] [--json]

Crypto-shredding: destroy every epoch key with no day inside the retention window (or exactly
epoch E, e.g. a compromised one) and rewrite the hand-over files without it. A solver re-reads its
file on every duty and drops keys no longer in it (and drops keys past retention by itself):
records sealed to a shredded epoch become unreadable.

${PASS}
`,
  policy: `beeptrace ca policy --data DIR FILE [--node URL] [--json]

Validate FILE (thresholds, levels, retention, epochs, advice texts per language; docs/PROTOCOL.md
§11.6) and sign a POLICY statement. A policy that does not validate exits 2 with a message naming
the field, and nothing is signed.

${PASS}
`,
  publish: `beeptrace ca publish --data DIR --node URL [--json]

Send the statements waiting in DIR/outbox to a full node's admin endpoint (POST URL/blocks), in
signing order; each sent one moves to DIR/sent. No passphrase needed.
`,
  status: `beeptrace ca status --data DIR [--json]

List the authority: region, root key, policy, certificates (live, expired, revoked), revocations,
epochs held and shredded, statements waiting in the outbox. No passphrase needed.
`,
};
