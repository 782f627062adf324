/**
 * A QR code for the terminal, so a phone can open the LAN URL: the `qr` package's matrix drawn
 * with Unicode half blocks (two modules a character), dark on light with a quiet zone, so it
 * scans in dark and light terminal themes alike.
 *
 * @example
 * process.stdout.write(terminalQr('https://192.168.1.20:8080/'));
 * @module
 */
import encodeQR from 'qr';

/** Lines of half-block characters; a trailing newline. @example process.stdout.write(terminalQr('https://192.168.1.20:8080/')) */
export function terminalQr(text: string): string {
  const m = encodeQR(text, 'raw', { ecc: 'medium', border: 2 });
  const dark = (y: number, x: number) => y < m.length && m[y][x] === true;
  const lines: string[] = [];
  for (let y = 0; y < m.length; y += 2) {
    let line = '';
    // Light modules are drawn as full blocks (the paper), dark ones as spaces (the ink).
    for (let x = 0; x < m[y].length; x++) {
      const top = dark(y, x);
      const bottom = y + 1 < m.length ? dark(y + 1, x) : false;
      line += top && bottom ? ' ' : top ? '▄' : bottom ? '▀' : '█';
    }
    lines.push(line);
  }
  return `${lines.join('\n')}\n`;
}
