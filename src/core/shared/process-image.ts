import { createHash } from "node:crypto";
import sharp, { type Metadata, type SharpOptions } from "sharp";
import { StudioError } from "./errors";
import { perceptualHash, type RawPixels } from "./perceptual-hash";

/**
 * Why a downloaded file was not kept.
 * "truncated" covers every file whose header parses but whose pixel data is cut short or corrupt.
 */
export type RejectReason = "empty" | "not-an-image" | "truncated" | "too-many-pixels" | "too-small" | "unsupported-format";

/** A downloaded file that cannot become a training image; `reason` says why. */
export class ImageRejectedError extends StudioError {
  constructor(readonly reason: RejectReason, message: string) {
    super(message, "image-rejected");
  }
}

export interface ProcessImageOptions {
  /** Longest side of the output, in pixels; smaller images are never enlarged. */
  resizeMax: number;
  /** Width × height above which a file is refused before its pixels are decoded (default 40 000 000). */
  maxInputPixels?: number;
  /** JPEG quality of the output, 1–100 (default 90). */
  jpegQuality?: number;
  /** Shortest side a source image may have, in pixels (default 32). */
  minSide?: number;
}

export interface ProcessedImage {
  /** Baseline sRGB JPEG without metadata. */
  jpeg: Buffer;
  width: number;
  height: number;
  /** Decoder that read the file: jpeg, png, webp, gif, tiff, avif or heic. */
  sourceFormat: string;
  /** sha256 hex of the resized RGB pixels: identical pictures in different containers share it. */
  pixelSha256: string;
  /** 64-bit DCT perceptual hash, 16 hex characters; compare with hammingDistance. */
  perceptualHash: string;
  /** The resized RGB pixels the JPEG was encoded from (face cropping starts from these, not from a re-decode). */
  pixels: RawPixels;
  /** The source's size after EXIF orientation, before resizing (equal to width/height when nothing was resized). */
  sourceWidth: number;
  sourceHeight: number;
}

const DEFAULT_MAX_INPUT_PIXELS = 40_000_000;
export const DEFAULT_JPEG_QUALITY = 90;
const DEFAULT_MIN_SIDE = 32;

/** Raster decoders we trust with downloaded bytes; SVG (scripts, external references), PDF and the rest are refused. */
const ACCEPTED_FORMATS: ReadonlySet<string> = new Set(["jpeg", "png", "webp", "gif", "tiff", "heif"]);

/** sharp options for untrusted input: fail on any decoder warning so truncated or corrupt data is not padded grey. */
const UNTRUSTED_INPUT = { failOn: "warning", autoOrient: true, pages: 1 } as const satisfies SharpOptions;

/** Decodes a downloaded file, verifies it is a usable raster image and returns it as a resized JPEG with its hashes. */
export async function processImage(input: Buffer, options: ProcessImageOptions): Promise<ProcessedImage> {
  const settings = resolveOptions(options);
  if (input.length === 0) throw new ImageRejectedError("empty", "The file is empty (0 bytes).");
  const metadata = await readMetadata(input);
  const sourceFormat = acceptedFormatName(metadata);
  checkDimensions(metadata, settings);
  const pixels = await decodeResized(input, metadata, settings);
  const described = await describePixels(pixels, sourceFormat, settings.jpegQuality);
  // EXIF orientations 5-8 swap the sides; autoOrient holds the upright size.
  return { ...described, sourceWidth: metadata.autoOrient?.width ?? metadata.width, sourceHeight: metadata.autoOrient?.height ?? metadata.height };
}

/** Encodes verified RGB pixels as the dataset stores them (baseline JPEG) and hashes them for de-duplication. */
export async function describePixels(pixels: RawPixels, sourceFormat: string, jpegQuality = DEFAULT_JPEG_QUALITY): Promise<ProcessedImage> {
  // Encoding runs on a libuv worker; start it first so the hashing on this thread overlaps with it.
  const encoding = encodeJpeg(pixels, jpegQuality);
  const pixelSha256 = createHash("sha256").update(pixels.data).digest("hex");
  const [jpeg, hash] = await Promise.all([encoding, perceptualHash(pixels)]);
  return { jpeg, width: pixels.width, height: pixels.height, sourceFormat, pixelSha256, perceptualHash: hash, pixels, sourceWidth: pixels.width, sourceHeight: pixels.height };
}

/** Fills in defaults and refuses options that would make every image fail in a confusing way. */
function resolveOptions(options: ProcessImageOptions): Required<ProcessImageOptions> {
  const settings = {
    resizeMax: options.resizeMax,
    maxInputPixels: options.maxInputPixels ?? DEFAULT_MAX_INPUT_PIXELS,
    jpegQuality: options.jpegQuality ?? DEFAULT_JPEG_QUALITY,
    minSide: options.minSide ?? DEFAULT_MIN_SIDE,
  };
  requireInteger("resizeMax", settings.resizeMax, 1, 16_383);
  requireInteger("maxInputPixels", settings.maxInputPixels, 1, Number.MAX_SAFE_INTEGER);
  requireInteger("jpegQuality", settings.jpegQuality, 1, 100);
  requireInteger("minSide", settings.minSide, 1, 16_383);
  return settings;
}

/** Throws a RangeError naming the option when value is not an integer in [min, max]. */
function requireInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`processImage option ${name} must be an integer from ${min} to ${max}, not ${value}.`);
  }
}

/**
 * Reads the header only: cheap, and enough to refuse bombs and foreign formats before any pixel is decoded. sharp's
 * own pixel limit is off here (it would fail a 900-megapixel header as unreadable); checkDimensions applies ours.
 */
async function readMetadata(input: Buffer): Promise<Metadata> {
  try {
    return await sharp(input, { ...UNTRUSTED_INPUT, limitInputPixels: false }).metadata();
  } catch (error) {
    throw rejectionForUnreadableHeader(input, errorMessage(error));
  }
}

/** Classifies a file sharp could not even read the header of. */
function rejectionForUnreadableHeader(input: Buffer, sharpMessage: string): ImageRejectedError {
  const foreignFormat = recognisedUnsupportedFormat(input);
  if (foreignFormat) {
    return new ImageRejectedError("unsupported-format", `The file is ${foreignFormat}, which is not accepted as a training image.`);
  }
  const rasterFormat = recognisedAcceptedSignature(input);
  if (rasterFormat) {
    return new ImageRejectedError("truncated", `The file starts like a ${rasterFormat} but its header is damaged or cut short (${firstLine(sharpMessage)}).`);
  }
  return new ImageRejectedError("not-an-image", `The file is not an image (${describeContent(input)}).`);
}

/** Returns the name reported for an accepted format, or throws "unsupported-format". */
function acceptedFormatName(metadata: Metadata): string {
  if (!ACCEPTED_FORMATS.has(metadata.format)) {
    const name = metadata.format === "svg" ? "an SVG drawing (it may carry scripts and external references)" : `in ${metadata.format} format`;
    throw new ImageRejectedError("unsupported-format", `The file is ${name}; only JPEG, PNG, WebP, GIF, TIFF and AVIF/HEIF photos are accepted.`);
  }
  if (metadata.format !== "heif") return metadata.format;
  return metadata.compression === "av1" ? "avif" : "heic";
}

/** Refuses decompression bombs and thumbnails using the header's dimensions (of the first frame). */
function checkDimensions(metadata: Metadata, settings: Required<ProcessImageOptions>): void {
  const { width, height } = metadata;
  if (width * height > settings.maxInputPixels) {
    throw new ImageRejectedError(
      "too-many-pixels",
      `The image is ${width}×${height} = ${(width * height).toLocaleString("en-US")} pixels, more than the limit of ${settings.maxInputPixels.toLocaleString("en-US")}; it is refused before decoding so it cannot exhaust memory.`,
    );
  }
  if (Math.min(width, height) < settings.minSide) {
    throw new ImageRejectedError("too-small", `The image is ${width}×${height}; both sides must be at least ${settings.minSide} pixels.`);
  }
}

/** The one decoding pass: first frame, EXIF-oriented, sRGB, alpha on white, longest side ≤ resizeMax, as raw RGB. */
async function decodeResized(input: Buffer, metadata: Metadata, settings: Required<ProcessImageOptions>): Promise<RawPixels> {
  try {
    const { data, info } = await sharp(input, { ...UNTRUSTED_INPUT, limitInputPixels: settings.maxInputPixels })
      .resize({ width: settings.resizeMax, height: settings.resizeMax, fit: "inside", withoutEnlargement: true })
      .flatten({ background: "#ffffff" })
      // sharp targets sRGB by default; saying so pins the 3-channel layout that hashing and encodeJpeg rely on.
      .toColourspace("srgb")
      .raw({ depth: "uchar" })
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: info.channels };
  } catch (error) {
    throw rejectionForUndecodablePixels(metadata, errorMessage(error));
  }
}

/** Classifies a file whose header was fine but whose pixels could not be decoded. */
function rejectionForUndecodablePixels(metadata: Metadata, sharpMessage: string): ImageRejectedError {
  if (/pixel limit/i.test(sharpMessage)) {
    return new ImageRejectedError("too-many-pixels", `The image has more pixels than allowed (${firstLine(sharpMessage)}).`);
  }
  // The HEIF container is readable but this libvips build may lack the HEVC (HEIC) decoder.
  if (metadata.format === "heif" && metadata.compression !== "av1") {
    return new ImageRejectedError("unsupported-format", `The file is a HEIC image this build cannot decode (${firstLine(sharpMessage)}).`);
  }
  return new ImageRejectedError(
    "truncated",
    `The ${metadata.format} file is cut short or its pixel data is corrupt (${firstLine(sharpMessage)}); a partial picture would teach the model grey bands.`,
  );
}

/** Encodes the already-resized pixels; sharp writes no metadata unless asked, so EXIF, GPS and ICC are gone. */
export function encodeJpeg(pixels: RawPixels, quality: number): Promise<Buffer> {
  return sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: 3 } })
    .jpeg({ quality, mozjpeg: false })
    .toBuffer();
}

/** Known non-raster or undecodable formats, named so the rejection says "unsupported" rather than "not an image". */
function recognisedUnsupportedFormat(input: Buffer): string | undefined {
  const head = input.subarray(0, 512).toString("latin1");
  if (head.startsWith("%PDF-")) return "a PDF document";
  if (head.startsWith("%!PS")) return "a PostScript document";
  if (head.startsWith("8BPS")) return "a Photoshop document";
  if (/^(\uFEFF)?\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE svg[^>]*>\s*)?<svg[\s>]/i.test(head)) return "an SVG drawing";
  if (isBmp(input)) return "a BMP bitmap";
  return undefined;
}

/** "BM" plus a known DIB header size, so text that merely starts with "BM" is not mistaken for a bitmap. */
function isBmp(input: Buffer): boolean {
  return input.length >= 18 && input[0] === 0x42 && input[1] === 0x4d && [12, 40, 52, 56, 64, 108, 124].includes(input.readUInt32LE(14));
}

/** Magic numbers of the accepted formats, to tell a damaged photo from something that never was one. */
function recognisedAcceptedSignature(input: Buffer): string | undefined {
  const hex = input.subarray(0, 12).toString("hex");
  if (hex.startsWith("ffd8ff")) return "JPEG";
  if (hex.startsWith("89504e470d0a1a0a")) return "PNG";
  if (hex.startsWith("474946383761") || hex.startsWith("474946383961")) return "GIF";
  if (hex.startsWith("52494646") && hex.slice(16, 24) === "57454250") return "WebP";
  if (hex.startsWith("49492a00") || hex.startsWith("4d4d002a")) return "TIFF";
  if (hex.slice(8, 16) === "66747970") return "HEIF/AVIF";
  return undefined;
}

/** A short, safe description of what the bytes look like, for the rejection message. */
function describeContent(input: Buffer): string {
  const head = input.subarray(0, 64).toString("latin1").trimStart().toLowerCase();
  if (head.startsWith("<!doctype html") || head.startsWith("<html")) return "it is an HTML page";
  if (head.startsWith("{") || head.startsWith("[")) return "it looks like JSON";
  const printable = input.subarray(0, 64).every((byte) => byte === 9 || byte === 10 || byte === 13 || (byte >= 32 && byte < 127));
  return printable ? "it is text" : `${input.length} bytes in no known image format`;
}

/** sharp rejects with Error; anything else is stringified. */
function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** sharp sometimes repeats the decoder's complaint over many lines; the first one is enough. */
function firstLine(message: string): string {
  return message.split("\n", 1)[0].trim();
}
