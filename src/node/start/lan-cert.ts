/**
 * The certificate of `beeptrace start --lan`: phones need a secure context (https) for
 * geolocation and service workers, so the stack serves HTTPS on the local network with a
 * self-signed certificate made on first start (pure JS, the `selfsigned` package; no openssl
 * binary) and kept in DATA/tls/ (key mode 0600). It names localhost, 127.0.0.1 and every LAN
 * address of this machine; when the addresses change, it is made again.
 *
 * @example
 * const { cert, key, certFile } = await lanCertificate('.beeptrace/tls', lanAddresses());
 * https.createServer({ cert, key }, handler);
 * @module
 */
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { writeSecret } from './authority.ts';

/** IPv4 addresses of this machine on its local networks (not loopback). @example lanAddresses() // ['192.168.1.20'] */
export function lanAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) out.push(a.address);
  }
  return out;
}

export interface LanCertificate {
  cert: string;
  key: string;
  /** PEM file of the certificate (given to the full nodes as NODE_EXTRA_CA_CERTS). */
  certFile: string;
  /** SHA-256 fingerprint, to compare with what the browser shows. */
  fingerprint: string;
  /** True if this call made it. */
  created: boolean;
}

/**
 * Load the certificate in `dir`, or make one (valid 825 days) if it is missing or does not name every address.
 * @example const { cert, key } = await lanCertificate('.beeptrace/tls', lanAddresses());
 */
export async function lanCertificate(dir: string, addresses: string[]): Promise<LanCertificate> {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  if (existsSync(certFile) && existsSync(keyFile)) {
    const cert = await readFile(certFile, 'utf8');
    const x = new X509Certificate(cert);
    const names = x.subjectAltName ?? '';
    const fresh = new Date(x.validTo).getTime() > Date.now() + 86_400_000;
    if (fresh && ['127.0.0.1', ...addresses].every((ip) => names.includes(`IP Address:${ip}`))) {
      return { cert, key: await readFile(keyFile, 'utf8'), certFile, fingerprint: x.fingerprint256, created: false };
    }
  }
  const ips = [...new Set(['127.0.0.1', ...addresses])];
  const notBefore = new Date(Date.now() - 86_400_000);
  const pems = await generate([{ name: 'commonName', value: 'BeepTrace local stack' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: notBefore,
    notAfterDate: new Date(notBefore.getTime() + 825 * 86_400_000),
    extensions: [
      // CA:true lets the full nodes trust it directly (NODE_EXTRA_CA_CERTS); browsers still warn, as for any self-signed certificate.
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, ...ips.map((ip) => ({ type: 7 as const, ip }))] },
    ],
  });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeSecret(keyFile, pems.private);
  await writeFile(certFile, pems.cert);
  return { cert: pems.cert, key: pems.private, certFile, fingerprint: new X509Certificate(pems.cert).fingerprint256, created: true };
}
