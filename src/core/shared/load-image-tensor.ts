/**
 * THE image → model input step, shared by training and prediction so both see identical pixels: decode
 * (shared/decode-image-pixels.ts: first frame, EXIF auto-orient, alpha on white, sRGB, 8-bit), then squish-resize the
 * decoded pixels to exactly [height, width] with the recorded kernel; RGB values 0..255 as float32 NHWC. The
 * backbone's own scaling happens later (inside the ONNX graph, or in extract-features-tfjs.ts), never here.
 */
import sharp from "sharp";
import { decodeImagePixels, type DecodedPixels } from "./decode-image-pixels";
import { ImageReadError } from "./image-read-error";

/** sharp's resampling kernel for the resize to the model's input. */
export type ResampleKernel = "linear" | "lanczos3" | "cubic" | "nearest";

/** Parameters of loadImageTensor. */
export interface LoadImageTensorParams {
  /** A file path, the file's bytes, or pixels already decoded by decodeImagePixels. */
  source: string | Uint8Array | DecodedPixels;
  /** Output size [height, width] and resampling kernel: head.preprocess or the export's preprocess.json. */
  preprocess: { size: [number, number]; kernel: ResampleKernel };
  /** Images with more pixels are refused from their header, before decoding (default 100 000 000). */
  maxInputPixels?: number;
  /** Write into this buffer (e.g. a batch) at `offset` instead of allocating; needs height * width * 3 values of room. */
  target?: Float32Array;
  offset?: number;
}

/**
 * Decodes and squish-resizes one image into height * width * 3 float32 values (RGB, 0..255, NHWC) and returns
 * them (a view into `target` when given). Throws ImageReadError with a reason and a readable message.
 */
export async function loadImageTensor(params: LoadImageTensorParams): Promise<Float32Array> {
  const [height, width] = params.preprocess.size;
  const length = height * width * 3;
  const offset = params.offset ?? 0;
  if (params.target && (offset < 0 || offset + length > params.target.length)) {
    throw new RangeError(`loadImageTensor: target has ${params.target.length} values; ${length} are needed at offset ${offset}.`);
  }
  const { source } = params;
  const decoded = typeof source === "string" || source instanceof Uint8Array ? await decodeImagePixels({ source, maxInputPixels: params.maxInputPixels }) : source;
  let resized: Buffer;
  try {
    // Resizing the decoded pixels (not the file) avoids JPEG shrink-on-load, whose DCT downscaling PIL and
    // browsers do not reproduce; "fill" is fastai's squish: stretch both sides, no crop, no padding.
    resized = await sharp(decoded.data, { raw: { width: decoded.width, height: decoded.height, channels: 3 } })
      .resize({ width, height, fit: "fill", kernel: params.preprocess.kernel })
      .raw({ depth: "uchar" })
      .toBuffer();
  } catch (error) {
    throw new ImageReadError("damaged", `The image could not be resized (${(error as Error).message.split("\n", 1)[0]}).`);
  }
  if (resized.length !== length) throw new ImageReadError("damaged", `Resizing gave ${resized.length} values instead of ${length}.`);
  const out = params.target ? params.target.subarray(offset, offset + length) : new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = resized[i];
  return out;
}
