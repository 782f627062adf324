/**
 * Draws the app's PNG icons from the same shapes as public/icon.svg (a dot and two rings on the
 * brand blue) with a small rasteriser and node:zlib: no image library, no browser. The PNGs are
 * committed; run this again only when the art changes.
 *
 * Writes public/icons/icon-192.png, icon-512.png (rounded square, purpose "any"),
 * icon-maskable-512.png (full-bleed background, art inside the central 80 % circle, purpose
 * "maskable") and public/apple-touch-icon.png (180 px, full bleed: iOS rounds it itself).
 *
 * @example
 * // npm run icons
 * @module
 */
import { deflateSync } from 'node:zlib';
import { writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type RGB = [number, number, number];
const BLUE: RGB = [0x1d, 0x4e, 0x89];
const WHITE: RGB = [255, 255, 255];

/** One icon: size in px, whether the background is a rounded square or full bleed, art scale (1 = the SVG's). */
export interface IconSpec { size: number; rounded: boolean; artScale: number }

/** Coverage-weighted layers in the SVG's 64-unit space: each returns the opacity at (x, y). */
function layers(spec: IconSpec): { colour: RGB; alpha: (x: number, y: number) => number }[] {
  const c = 32;
  const s = spec.artScale;
  const dist = (x: number, y: number) => Math.hypot(x - c, y - c);
  const roundedRect = (x: number, y: number) => {
    if (!spec.rounded) return 1;
    const r = 14;
    const dx = Math.max(r - x, 0, x - (64 - r));
    const dy = Math.max(r - y, 0, y - (64 - r));
    return dx === 0 || dy === 0 ? 1 : Math.hypot(dx, dy) <= r ? 1 : 0;
  };
  const ring = (radius: number, width: number) => (x: number, y: number) =>
    Math.abs(dist(x, y) - radius * s) <= (width * s) / 2 ? 1 : 0;
  return [
    { colour: BLUE, alpha: roundedRect },
    { colour: WHITE, alpha: (x, y) => (dist(x, y) <= 8 * s ? 1 : 0) },
    { colour: WHITE, alpha: (x, y) => 0.7 * ring(17, 4)(x, y) },
    { colour: WHITE, alpha: (x, y) => 0.4 * ring(26, 3)(x, y) },
  ];
}

/** Rasterises one icon to RGBA, 4×4 supersampled for smooth edges. @example render({ size: 192, rounded: true, artScale: 1 }).length === 192 * 192 * 4 */
export function render(spec: IconSpec): Uint8Array {
  const { size } = spec;
  const out = new Uint8Array(size * size * 4);
  const ls = layers(spec);
  const n = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const x = ((px + (sx + 0.5) / n) / size) * 64;
          const y = ((py + (sy + 0.5) / n) / size) * 64;
          // Composite the layers over transparent ("source over", premultiplied).
          let cr = 0, cg = 0, cb = 0, ca = 0;
          for (const l of ls) {
            const la = l.alpha(x, y);
            if (la === 0) continue;
            cr = l.colour[0] * la + cr * (1 - la);
            cg = l.colour[1] * la + cg * (1 - la);
            cb = l.colour[2] * la + cb * (1 - la);
            ca = la + ca * (1 - la);
          }
          r += cr; g += cg; b += cb; a += ca;
        }
      }
      const i = (py * size + px) * 4;
      const k = n * n;
      out[i + 3] = Math.round((a / k) * 255);
      // Un-premultiply.
      out[i] = a ? Math.round(r / a) : 0;
      out[i + 1] = a ? Math.round(g / a) : 0;
      out[i + 2] = a ? Math.round(b / a) : 0;
    }
  }
  return out;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** Encodes RGBA pixels as a PNG (8-bit RGBA, no filtering). @example encodePng(64, render({ size: 64, rounded: true, artScale: 1 })) */
export function encodePng(size: number, rgba: Uint8Array): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    raw.set(rgba.subarray(y * size * 4, (y + 1) * size * 4), y * (size * 4 + 1) + 1);
  }
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', new Uint8Array())]);
}

/** Every icon the manifest and index.html name. The maskable art (outer ring edge 27.5 × 0.8 = 22 of 64 units) stays inside the 80 % safe circle (25.6). */
export const ICONS: { file: string; spec: IconSpec }[] = [
  { file: 'icons/icon-192.png', spec: { size: 192, rounded: true, artScale: 1 } },
  { file: 'icons/icon-512.png', spec: { size: 512, rounded: true, artScale: 1 } },
  { file: 'icons/icon-maskable-512.png', spec: { size: 512, rounded: false, artScale: 0.8 } },
  { file: 'apple-touch-icon.png', spec: { size: 180, rounded: false, artScale: 0.9 } },
];

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const pub = fileURLToPath(new URL('../public/', import.meta.url));
  mkdirSync(pub + 'icons', { recursive: true });
  for (const { file, spec } of ICONS) {
    writeFileSync(pub + file, encodePng(spec.size, render(spec)));
    console.log(`wrote public/${file}`);
  }
}
