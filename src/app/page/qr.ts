/**
 * QR codes in the page, for every flow that passes a code between two devices (the clinic and
 * consent codes of a diagnosis now; guardian pairing and venue check-in later):
 *
 * - `qrSvg(text)` — an SVG string (the `qr` library, no DOM needed), black on white with a quiet
 *   zone, scaled by CSS;
 * - `readQrImage(blob)` — decode a picture the person chose (a file input labelled "Choose a QR
 *   image", or a screenshot);
 * - `QrCamera.open(video)` + `scan(onText)` — the camera (getUserMedia, rear camera and 1280×720
 *   preferred: a 14-day consent code has 149 modules a side) →
 *   the <video> → canvas frames → the decoder, a few frames a second, until a code decodes or
 *   `stop()`.
 *
 * The decoder (`qr/decode.js`, ≈ 15 KB gz) is imported on first use, so it is not in the first-load
 * bundle. It runs offline and does not need BarcodeDetector (missing in Chromium on Linux).
 * Errors are `QrError` with a code a view turns into words: `denied` (camera permission refused),
 * `no_camera`, `unsupported` (no getUserMedia, e.g. not a secure context), `no_code` (nothing
 * readable in the picture), `bad_image` (not a picture).
 *
 * @example
 * host.innerHTML = qrSvg(text);
 * const text = await readQrImage(input.files[0]);
 * const cam = await QrCamera.open(video); cam.scan((t) => { cam.stop(); use(t); });
 * @module
 */
import encodeQR from 'qr';

/** Why a QR code could not be read. */
export type QrErrorCode = 'denied' | 'no_camera' | 'unsupported' | 'no_code' | 'bad_image';

/** A QR code could not be read, or the camera not opened. @example if (e instanceof QrError && e.code === 'denied') showFileRoute() */
export class QrError extends Error {
  constructor(
    readonly code: QrErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'QrError';
  }
}

/**
 * An SVG of `text` as a QR code (byte mode, error correction L: long payloads stay a readable
 * size; screens are clean). The SVG has no fixed size: give its container one.
 * @example el.innerHTML = qrSvg('BTC1:…')
 */
export function qrSvg(text: string, ecc: 'low' | 'medium' = 'low'): string {
  return encodeQR(text, 'svg', { ecc, border: 4 })
    .replace(/<svg /, '<svg role="img" shape-rendering="crispEdges" preserveAspectRatio="xMidYMid meet" ')
    .replace(/ width="\d+" height="\d+"/, '');
}

type Decode = (img: { width: number; height: number; data: Uint8ClampedArray }) => string;
let decoder: Promise<Decode> | null = null;

/** The decoder, loaded on first use. @example const decode = await loadDecoder() */
export function loadDecoder(): Promise<Decode> {
  decoder ??= import('qr/decode.js').then((m) => m.decodeQR as unknown as Decode);
  return decoder;
}

/** Decode one frame of RGBA pixels; null when no code is found in it. @example decodeFrame(ctx.getImageData(0, 0, w, h)) */
export async function decodeFrame(img: { width: number; height: number; data: Uint8ClampedArray }): Promise<string | null> {
  const decode = await loadDecoder();
  try {
    return decode(img);
  } catch {
    return null;
  }
}

function pixels(src: CanvasImageSource, w: number, h: number, maxSide = 1600): ImageData {
  const s = Math.min(1, maxSide / Math.max(w, h));
  const cw = Math.max(1, Math.round(w * s));
  const ch = Math.max(1, Math.round(h * s));
  const canvas = document.createElement('canvas');
  canvas.width = cw;
  canvas.height = ch;
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, cw, ch);
  ctx.drawImage(src, 0, 0, cw, ch);
  return ctx.getImageData(0, 0, cw, ch);
}

/**
 * Read the QR code in a picture file. Throws QrError `bad_image` or `no_code`.
 * @example const text = await readQrImage(input.files![0])
 */
export async function readQrImage(file: Blob): Promise<string> {
  let bmp: ImageBitmap;
  try {
    bmp = await createImageBitmap(file);
  } catch {
    throw new QrError('bad_image', 'this file is not a picture');
  }
  try {
    // Try the picture as it is, then smaller (a huge photo decodes better scaled down).
    for (const side of [1600, 800]) {
      const text = await decodeFrame(pixels(bmp, bmp.width, bmp.height, side));
      if (text) return text;
    }
  } finally {
    bmp.close();
  }
  throw new QrError('no_code', 'no QR code could be read in this picture');
}

/** The camera, streaming into a <video>, scanned for QR codes. See the module comment. */
export class QrCamera {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;

  private constructor(
    readonly video: HTMLVideoElement,
    private readonly stream: MediaStream,
  ) {}

  /**
   * Ask for the camera and show it in `video`. Throws QrError `unsupported`, `denied` or `no_camera`.
   * @example const cam = await QrCamera.open(videoEl)
   */
  static async open(video: HTMLVideoElement): Promise<QrCamera> {
    if (!navigator.mediaDevices?.getUserMedia) throw new QrError('unsupported', 'this browser gives no camera access here');
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } }, audio: false });
    } catch (e) {
      const name = (e as DOMException)?.name;
      if (name === 'NotAllowedError' || name === 'SecurityError') throw new QrError('denied', 'camera permission was refused');
      throw new QrError('no_camera', 'no camera could be opened');
    }
    video.muted = true;
    video.playsInline = true;
    video.srcObject = stream;
    await video.play().catch(() => undefined);
    return new QrCamera(video, stream);
  }

  /** Decode frames (about 4 a second) until one holds a code: `onText` gets it once, and scanning stops. */
  scan(onText: (text: string) => void, everyMs = 250): void {
    const tick = async () => {
      if (this.stopped) return;
      const v = this.video;
      if (v.readyState >= 2 && v.videoWidth > 0) {
        const text = await decodeFrame(pixels(v, v.videoWidth, v.videoHeight, 1280));
        if (text && !this.stopped) {
          this.stopScanning();
          onText(text);
          return;
        }
      }
      if (!this.stopped) this.timer = setTimeout(() => void tick(), everyMs);
    };
    void tick();
  }

  private stopScanning(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Stop scanning and release the camera. */
  stop(): void {
    this.stopped = true;
    this.stopScanning();
    for (const t of this.stream.getTracks()) t.stop();
    this.video.srcObject = null;
  }
}
