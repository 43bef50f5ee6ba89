/**
 * The decode half of image → model input, shared by prediction and training: first frame, EXIF auto-orient,
 * transparency on white (as gather stores training images), sRGB, 8-bit RGB, full size. Resizing is separate
 * (load-image-tensor.ts) so a trainer can decode once and render several views from the same pixels.
 */
import { promises as fs, type Stats } from "node:fs";
import sharp, { type Metadata, type OutputInfo, type SharpOptions } from "sharp";
import { ImageReadError } from "./image-read-error";

/** Decoded pixels: width * height * 3 bytes, RGB, row-major. */
export interface DecodedPixels {
  data: Buffer;
  width: number;
  height: number;
}

/** Parameters of decodeImagePixels. */
export interface DecodeImagePixelsParams {
  /** A file path, or the file's bytes. */
  source: string | Uint8Array;
  /** Images with more pixels are refused from their header, before decoding (default 100 000 000). */
  maxInputPixels?: number;
}

const DEFAULT_MAX_INPUT_PIXELS = 100_000_000;

/** Raster formats we decode; SVG (scripts, external references), PDF and other vector or document formats are refused. */
const ACCEPTED_FORMATS: ReadonlySet<string> = new Set(["jpeg", "png", "webp", "gif", "tiff", "heif"]);

/** A damaged file fails instead of being padded with grey, which would be scored as if it were a picture. */
const DECODE_OPTIONS = { failOn: "warning", autoOrient: true, pages: 1 } as const satisfies SharpOptions;

/** Decodes one image to full-size RGB bytes; throws ImageReadError with a reason and a readable message. */
export async function decodeImagePixels(params: DecodeImagePixelsParams): Promise<DecodedPixels> {
  const input = await readableInput(params.source);
  const maxInputPixels = params.maxInputPixels ?? DEFAULT_MAX_INPUT_PIXELS;
  checkHeader(await readHeader(input), maxInputPixels);
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    decoded = await sharp(input, { ...DECODE_OPTIONS, limitInputPixels: maxInputPixels })
      .flatten({ background: "#ffffff" })
      .toColourspace("srgb")
      .raw({ depth: "uchar" })
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    const message = firstLine(error);
    if (/pixel limit/i.test(message)) throw new ImageReadError("too-many-pixels", `The image has more than ${maxInputPixels.toLocaleString("en-US")} pixels (${message}).`);
    throw new ImageReadError("damaged", `The image is cut short or its pixel data is corrupt (${message}).`);
  }
  const { width, height, channels } = decoded.info;
  if (channels !== 3) throw new ImageReadError("damaged", `The image has ${channels} colour channels after conversion to RGB.`);
  return { data: decoded.data, width, height };
}

/** A path sharp may read lazily (only the header for a non-image), after checking it is a non-empty file. */
async function readableInput(source: string | Uint8Array): Promise<string | Buffer> {
  if (typeof source !== "string") {
    if (source.byteLength === 0) throw new ImageReadError("not-an-image", "The file is empty (0 bytes).");
    return Buffer.from(source.buffer, source.byteOffset, source.byteLength);
  }
  let stat: Stats;
  try {
    stat = await fs.stat(source);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") throw new ImageReadError("missing", "No such file.");
    throw new ImageReadError("not-a-file", `The file cannot be read (${code ?? (error as Error).message}).`);
  }
  if (!stat.isFile()) throw new ImageReadError("not-a-file", stat.isDirectory() ? "It is a folder, not an image file." : "It is not a regular file.");
  if (stat.size === 0) throw new ImageReadError("not-an-image", "The file is empty (0 bytes).");
  return source;
}

/** Reads the header only: cheap, and enough to refuse foreign formats and pixel bombs before decoding. */
async function readHeader(input: string | Buffer): Promise<Metadata> {
  try {
    return await sharp(input, DECODE_OPTIONS).metadata();
  } catch (error) {
    const message = firstLine(error);
    if (/permission|EACCES/i.test(message)) throw new ImageReadError("not-a-file", `The file cannot be read (${message}).`);
    throw new ImageReadError("not-an-image", `The file is not an image sharp can read (${message}).`);
  }
}

/** Refuses formats outside the accepted set and images above the pixel limit. */
function checkHeader(metadata: Metadata, maxInputPixels: number): void {
  if (!ACCEPTED_FORMATS.has(metadata.format)) {
    throw new ImageReadError("unsupported-format", `The file is in ${metadata.format} format; only JPEG, PNG, WebP, GIF, TIFF and AVIF/HEIF images are read.`);
  }
  const pixels = (metadata.width ?? 0) * (metadata.height ?? 0);
  if (pixels > maxInputPixels) {
    throw new ImageReadError("too-many-pixels", `The image is ${metadata.width}x${metadata.height}, more than the ${maxInputPixels.toLocaleString("en-US")}-pixel limit; it was not decoded.`);
  }
}

/** The first line of an error message (libvips repeats itself over many lines). */
function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n", 1)[0].trim();
}
