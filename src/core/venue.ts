/**
 * Venue check-in (docs/PROTOCOL.md §7.11; the poster's bytes are in src/core/codec/venue.ts):
 *
 * - a venue certified by the CA as `Role.VENUE` signs a poster (`signPoster`): its key, its name,
 *   its region and the default length of a stay there;
 * - the visitor's app checks the scanned poster before checking in (`checkPoster`): the
 *   signature, the region, that the key holds a VENUE certificate for that region, not
 *   expired and not revoked, on the visitor's own synced notification chain, and that the
 *   poster's name is the name that certificate gives (a certified café cannot print "City Hospital");
 * - the check-in records a venue stay under the venue id `venueIdOf(key)`: the first 8 bytes of
 *   SHA-256("BeepTrace/venue-id/v1" ‖ key), 16 hex characters. Derived, not printed, so a poster
 *   cannot claim another venue's id (to match its visitors) without that venue's secret key.
 *
 * The solver matches venue stays by id with the policy's `sameVenue` rules — the same rules and
 * the same minutes as two people inside one building polygon (src/core/match.ts, §11.2).
 * Every refusal is a `VenueError` with a stable code. Pure: no DOM, no I/O.
 *
 * @example
 * const text = signPoster(c, key, { region: 1, name: 'Café Nord', minutes: 60 });
 * const v = checkPoster(c, text, { authority: ledger.authority, region: 1, nowSec });
 * recorder.checkIn(v.venueId, nowMs);
 * @module
 */
import type { CryptoProvider } from './crypto.ts';
import { concat, toHex, utf8 } from './bytes.ts';
import { BeepTraceError } from './errors.ts';
import { Role } from './codec/records.ts';
import { decodePoster, encodePoster, posterBody, type Poster } from './codec/venue.ts';
import type { AuthorityState } from './ledger/authority.ts';

const POSTER_LABEL = utf8('BeepTrace/venue-poster/v1');
const VENUE_ID_LABEL = utf8('BeepTrace/venue-id/v1');

/** Why a venue poster was refused. @example if (e instanceof VenueError && e.code === 'not_certified') … */
export type VenueErrorCode = 'bad_signature' | 'foreign_region' | 'not_certified' | 'wrong_name';

/** A poster that decodes but must not be checked in to. @example new VenueError('bad_signature', '…') */
export class VenueError extends BeepTraceError {
  declare readonly code: VenueErrorCode;
  constructor(code: VenueErrorCode, message: string) {
    super(code, message);
  }
}

/** A poster that passed every check, and the venue id a check-in records. @example checkPoster(c, text, a).venueId // '3f0c…' */
export interface CheckedPoster extends Poster {
  /** 16 lower-case hex characters (`venueIdOf`). */
  venueId: string;
}

/**
 * The venue id of a venue key: the first 8 bytes of SHA-256("BeepTrace/venue-id/v1" ‖ key), hex.
 * @example venueIdOf(c, key.publicKey) // '3f0c…' (16 hex characters)
 */
export function venueIdOf(c: CryptoProvider, venueKey: Uint8Array): string {
  if (!(venueKey instanceof Uint8Array) || venueKey.length !== 32) throw new RangeError('a venue key is 32 bytes');
  return toHex(c.sha256(concat(VENUE_ID_LABEL, venueKey)).subarray(0, 8));
}

/**
 * Sign a poster with the venue's key (the QR text). Throws RangeError for a name or duration the
 * format cannot carry (src/core/codec/venue.ts).
 * @example signPoster(c, { secretKey, publicKey }, { region: 1, name: 'Café Nord', minutes: 60 })
 */
export function signPoster(c: CryptoProvider, key: { secretKey: Uint8Array; publicKey: Uint8Array }, a: { region: number; name: string; minutes: number }): string {
  const p = { region: a.region, venueKey: key.publicKey, minutes: a.minutes, name: a.name };
  return encodePoster({ ...p, signature: c.ed25519Sign(key.secretKey, concat(POSTER_LABEL, posterBody(p))) });
}

/**
 * The visitor's check of a scanned poster. Throws CodecError (form) or VenueError:
 * `bad_signature` (altered or forged), `foreign_region` (another region's poster),
 * `not_certified` (no VENUE certificate for this region on `authority`, expired, or revoked),
 * `wrong_name` (the poster's name is not the name its certificate gives the venue).
 * @example const v = checkPoster(c, text, { authority: ledger.authority, region: 1, nowSec })
 */
export function checkPoster(c: CryptoProvider, text: string, a: { authority: AuthorityState; region: number; nowSec: number }): CheckedPoster {
  const p = decodePoster(text);
  if (!c.ed25519Verify(p.venueKey, concat(POSTER_LABEL, posterBody(p)), p.signature)) {
    throw new VenueError('bad_signature', 'the poster\'s signature does not verify: it was altered or forged');
  }
  if (p.region !== a.region) throw new VenueError('foreign_region', `the poster is for region ${p.region}, this app serves region ${a.region}`);
  const why = a.authority.whyNotAuthorized(p.venueKey, Role.VENUE, a.region, a.nowSec);
  if (why) throw new VenueError('not_certified', `this poster's key is not a certified venue: ${why}`);
  const names = a.authority.certifiedNames(p.venueKey, Role.VENUE, a.region, a.nowSec);
  if (!names.includes(p.name)) {
    throw new VenueError('wrong_name', `the poster calls the venue ${JSON.stringify(p.name)}, but the health authority certified its key as ${names.map((n) => JSON.stringify(n)).join(' or ')}`);
  }
  return { ...p, venueId: venueIdOf(c, p.venueKey) };
}
