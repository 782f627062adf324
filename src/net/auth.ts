/**
 * Peer authentication of certified full nodes (docs/NET.md §7.3). Validators and solvers hold
 * keys the CA certified on the notification chain, which every node — a browser too — verifies
 * for itself. Such a node proves its key to each peer with one AUTH frame after HELLO, and a node
 * keeps some peers that did (mesh.ts `certified`): a host with any number of signaling ids cannot
 * make one, so it cannot cut a node off from every certified node (issue 17).
 *
 * The proof is bound to the connection: the signed message names both ends of this very link
 * (`Link.binding`: over WebRTC the two DTLS certificate fingerprints from the SDP, which a man in
 * the middle cannot make equal on its two links; in the in-memory network the two link ids). A
 * relay that forwards a real node's AUTH is caught: the real node signed *its* ends, not ours.
 *
 *   message = "BeepTrace/peer-auth/v1" ‖ u16 region ‖ u8 |signer end| ‖ signer end ‖ u8 |verifier end| ‖ verifier end
 *
 * A link without a binding carries no AUTH either way (it could be relayed).
 *
 * @example
 * if (link.binding) send(peer, authFrame(c, key, region, link.binding));
 * const v = verifyAuth(c, ledger.authority, frame, region, link.binding, nowSec); // 'proven' | { why, lie }
 * @module
 */
import { utf8 } from '../core/bytes.ts';
import type { CryptoProvider } from '../core/crypto.ts';
import { Role, type RoleCode } from '../core/codec/records.ts';
import type { AuthorityState } from '../core/ledger/authority.ts';
import type { AuthFrame } from './frames.ts';

/** Domain of the signed message. @example AUTH_DOMAIN.length === 22 */
export const AUTH_DOMAIN = utf8('BeepTrace/peer-auth/v1');
/** Certificate roles whose keys count as certified full nodes. @example NODE_ROLES.includes(Role.VALIDATOR) */
export const NODE_ROLES: readonly RoleCode[] = [Role.VALIDATOR, Role.SOLVER];

/** Both ends of a link, as `Link.binding` gives them. @example { local: myFingerprint, remote: theirFingerprint } */
export interface Binding {
  local: Uint8Array;
  remote: Uint8Array;
}

/** A certified key that proves itself with AUTH. @example { secretKey, publicKey } */
export interface AuthKey {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

/**
 * The message the signer signs: its own end first.
 * @throws RangeError if an end is empty or over 255 bytes.
 * @example authMessage(1, binding.local, binding.remote)
 */
export function authMessage(region: number, signerEnd: Uint8Array, verifierEnd: Uint8Array): Uint8Array {
  for (const e of [signerEnd, verifierEnd]) if (!(e instanceof Uint8Array) || e.length < 1 || e.length > 255) throw new RangeError(`auth: a channel binding end must be 1..255 bytes, got ${e?.length}`);
  const out = new Uint8Array(AUTH_DOMAIN.length + 2 + 1 + signerEnd.length + 1 + verifierEnd.length);
  let o = 0;
  out.set(AUTH_DOMAIN, o);
  o += AUTH_DOMAIN.length;
  out[o++] = (region >> 8) & 0xff;
  out[o++] = region & 0xff;
  out[o++] = signerEnd.length;
  out.set(signerEnd, o);
  o += signerEnd.length;
  out[o++] = verifierEnd.length;
  out.set(verifierEnd, o);
  return out;
}

/**
 * This node's AUTH frame for a link.
 * @example send(peer, authFrame(c, key, region, link.binding!))
 */
export function authFrame(c: CryptoProvider, key: AuthKey, region: number, binding: Binding): AuthFrame {
  return { type: 'auth', key: key.publicKey, sig: c.ed25519Sign(key.secretKey, authMessage(region, binding.local, binding.remote)) };
}

/**
 * Check a peer's AUTH against this side's view of the link and its own authority state.
 * 'proven': the key holds a certificate of a full-node role for the region, valid and not revoked
 * now. Otherwise why not, and whether it is a `lie` (a signature that does not verify: no honest
 * node sends one) or may be this node's authority state being behind (a certificate not received
 * yet): only a lie is penalised.
 * @example if (verifyAuth(c, authority, f, region, link.binding, now) === 'proven') peer.certified = toHex(f.key)
 */
export function verifyAuth(c: CryptoProvider, authority: AuthorityState, f: AuthFrame, region: number, binding: Binding | undefined, nowSec: number): 'proven' | { why: string; lie: boolean } {
  if (!binding) return { why: 'this link has no channel binding: an AUTH on it proves nothing', lie: false };
  if (!c.ed25519Verify(f.key, authMessage(region, binding.remote, binding.local), f.sig)) return { why: 'the AUTH signature does not verify for this connection', lie: true };
  const whys: string[] = [];
  for (const role of NODE_ROLES) {
    const why = authority.whyNotAuthorized(f.key, role, region, nowSec);
    if (why === null) return 'proven';
    whys.push(why);
  }
  return { why: `the key is not a certified full node: ${whys.join('; ')}`, lie: false };
}
