/**
 * A venue's printable check-in poster (docs/PROTOCOL.md §7.11, README "Venue posters"): the
 * signed poster code (src/core/venue.ts) as a QR code with the venue's name in large print, on
 * one A4 page, as SVG (any script; print CSS sets the page size) or as a minimal one-page PDF
 * written here (no dependency; the name in the PDF's built-in Helvetica, so Latin-1 only).
 *
 * @example
 * const svg = posterSvg({ text, name: 'Café Nord', minutes: 60, region: 1 });
 * const pdf = posterPdf({ text, name: 'Café Nord', minutes: 60, region: 1 }); // Uint8Array, %PDF-1.4
 * @module
 */
import encodeQR from 'qr';
import { InputError } from '../core/errors.ts';

/** What a poster shows. @example { text: 'BTV1:…', name: 'Café Nord', minutes: 60, region: 1 } */
export interface PosterPage {
  /** The signed poster code (the QR's text). */
  text: string;
  name: string;
  minutes: number;
  region: number;
}

/** The QR modules of `text` (error correction M: a poster gets scuffed), with a 4-module quiet zone. */
function modules(text: string): boolean[][] {
  return encodeQR(text, 'raw', { ecc: 'medium', border: 4 });
}

function xml(s: string): string {
  return s.replace(/[<>&"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const HOW = 'Scan with BeepTrace to check in';

/** The smaller print under the QR code. */
function smallPrint(p: PosterPage): string {
  return `Checks out by itself after ${p.minutes} min · region ${p.region}`;
}

/**
 * The poster as an SVG document, A4 portrait in millimetres: the name (large), the QR code
 * (150 mm a side, black on white), and how to use it. Its print CSS sets an A4 page, no margins.
 * @example writeFileSync('poster.svg', posterSvg(page))
 */
export function posterSvg(p: PosterPage): string {
  const m = modules(p.text);
  const n = m.length;
  const size = 150;
  const x0 = (210 - size) / 2;
  const y0 = 70;
  let path = '';
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) if (m[y][x]) path += `M${x} ${y}h1v1h-1z`;
  // a long name gets a smaller font so it fits the 190 mm line
  const nameSize = Math.max(8, Math.min(22, Math.floor(190 / (0.6 * [...p.name].length))));
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="210mm" height="297mm" viewBox="0 0 210 297" role="img" aria-label="${xml(`Check-in poster: ${p.name}`)}">
<style>
@page { size: A4 portrait; margin: 0; }
@media print { svg { width: 210mm; height: 297mm; } }
text { font-family: system-ui, "Helvetica Neue", Arial, sans-serif; fill: #000; }
</style>
<rect width="210" height="297" fill="#fff"/>
<text x="105" y="45" font-size="${nameSize}" font-weight="700" text-anchor="middle">${xml(p.name)}</text>
<text x="105" y="60" font-size="9" text-anchor="middle">${HOW}</text>
<g transform="translate(${x0} ${y0}) scale(${size / n})" shape-rendering="crispEdges"><path d="${path}" fill="#000"/></g>
<text x="105" y="${y0 + size + 14}" font-size="6" text-anchor="middle">${xml(smallPrint(p))}</text>
<text x="105" y="${y0 + size + 24}" font-size="4" text-anchor="middle" fill="#333">${xml(p.text.slice(0, 40))}…</text>
</svg>
`;
}

/** A PDF string literal of `s` in WinAnsi (Latin-1 here); InputError for any other character. */
function pdfString(s: string): string {
  let out = '(';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp > 0xff || cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
      throw new InputError('usage', `the PDF poster prints the name in a built-in font that has no "${ch}": use --format svg for this name`);
    }
    if (ch === '(' || ch === ')' || ch === '\\') out += `\\${ch}`;
    else if (cp > 0x7e) out += `\\${cp.toString(8).padStart(3, '0')}`;
    else out += ch;
  }
  return `${out})`;
}

/**
 * The poster as a one-page PDF 1.4 (A4, 595 × 842 pt): the QR code as filled squares, the name
 * in Helvetica Bold. Throws InputError when the name has a character outside Latin-1.
 * @example writeFileSync('poster.pdf', posterPdf(page))
 */
export function posterPdf(p: PosterPage): Uint8Array {
  const m = modules(p.text);
  const n = m.length;
  const size = 425; // ≈ 150 mm
  const unit = size / n;
  const x0 = (595 - size) / 2;
  const top = 842 - 200;
  const f = (v: number) => (Math.round(v * 100) / 100).toString();
  const nameSize = Math.max(14, Math.min(56, Math.floor(515 / (0.6 * [...p.name].length))));
  const ops: string[] = ['1 1 1 rg 0 0 595 842 re f', '0 0 0 rg'];
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) if (m[y][x]) ops.push(`${f(x0 + x * unit)} ${f(top - (y + 1) * unit)} ${f(unit)} ${f(unit)} re`);
  ops.push('f');
  ops.push(`BT /F2 ${nameSize} Tf 40 ${842 - 110} Td ${pdfString(p.name)} Tj ET`);
  ops.push(`BT /F1 20 Tf 40 ${842 - 150} Td ${pdfString(HOW)} Tj ET`);
  ops.push(`BT /F1 14 Tf 40 ${f(top - size - 30)} Td ${pdfString(smallPrint(p).replace('·', '-'))} Tj ET`);
  const content = ops.join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> /Contents 4 0 R >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>',
  ];
  let pdf = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(pdf.length);
    pdf += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  // every character is < 256 (the content is ASCII; the header's binary marker is Latin-1)
  return Uint8Array.from(pdf, (ch) => ch.charCodeAt(0));
}
