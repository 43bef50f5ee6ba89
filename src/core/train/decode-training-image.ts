/**
 * Image bytes → the backbone's input for each wanted view. Decoding and the plain view go through predict's
 * decodeImagePixels/loadImageTensor (the one image → input step, so training and prediction see identical
 * pixels); augmented views crop, squish-resize (sharp fit "fill"), flip and relight the same decoded pixels.
 */
import sharp from "sharp";
import { decodeImagePixels, type DecodedPixels } from "../shared/decode-image-pixels";
import { loadImageTensor } from "../shared/load-image-tensor";
import { ImageReadError } from "../shared/image-read-error";
import { StudioError } from "../shared/errors";
import type { Preprocess } from "./run-files";
import { viewTransform, type ViewTransform } from "./view-transform";
import { renderTestTimeView, TEST_TIME_VIEWS } from "../shared/test-time-views";

/** A file that cannot be decoded; training skips and lists it. */
export class UnreadableImageError extends StudioError {
  constructor(message: string) {
    super(message, "image-unreadable", "Delete or replace the file; it is skipped until then.");
  }
}

/** Parameters of decodeTrainingImage. */
export interface DecodeTrainingImageParams {
  bytes: Uint8Array;
  /** sha256 of `bytes`: seeds the augmented views. */
  contentSha256: string;
  preprocess: Pick<Preprocess, "size" | "kernel">;
  /** View numbers wanted (0 = the plain image, 1.. augmented views, -1.. test-time views). */
  views: readonly number[];
}

/** Returns one height·width·3 Float32Array (RGB 0..255, NHWC) per requested view, in the order asked; throws UnreadableImageError. */
export async function decodeTrainingImage(params: DecodeTrainingImageParams): Promise<Float32Array[]> {
  const { preprocess } = params;
  try {
    const decoded = await decodeImagePixels({ source: params.bytes });
    const [height, width] = preprocess.size;
    let plain: Promise<Float32Array> | undefined;
    const plainTensor = () => (plain ??= loadImageTensor({ source: decoded, preprocess }));
    return await Promise.all(params.views.map(async (view) => {
      if (view === 0) return plainTensor();
      // Test-time views are made from the plain input, as the exported graph makes them.
      if (view < 0) return renderTestTimeView({ input: await plainTensor(), height, width, view: TEST_TIME_VIEWS[-view] });
      return renderView(decoded, viewTransform({ contentSha256: params.contentSha256, view, width: decoded.width, height: decoded.height }), preprocess);
    }));
  } catch (error) {
    if (error instanceof ImageReadError) throw new UnreadableImageError(error.message.replace(/\.$/, ""));
    throw error;
  }
}

/** Crop → squish-resize → flip with sharp, then lighting through a 256-entry table while converting to float. */
async function renderView(decoded: DecodedPixels, transform: ViewTransform, preprocess: DecodeTrainingImageParams["preprocess"]): Promise<Float32Array> {
  const [height, width] = preprocess.size;
  let image = sharp(decoded.data, { raw: { width: decoded.width, height: decoded.height, channels: 3 } });
  const { crop } = transform;
  if (crop.left !== 0 || crop.top !== 0 || crop.width !== decoded.width || crop.height !== decoded.height) image = image.extract(crop);
  image = image.resize({ width, height, fit: "fill", kernel: preprocess.kernel });
  if (transform.flip) image = image.flop();
  const out = await image.raw({ depth: "uchar" }).toBuffer();
  const table = lightingTable(transform.brightness, transform.contrast);
  const result = new Float32Array(out.length);
  for (let i = 0; i < out.length; i++) result[i] = table[out[i]];
  return result;
}

/** Maps 0..255 through fastai's logit-space lighting; the identity when nothing changes. */
function lightingTable(brightness: number, contrast: number): Float32Array {
  const table = new Float32Array(256);
  for (let v = 0; v < 256; v++) {
    if (brightness === 0 && contrast === 1) {
      table[v] = v;
      continue;
    }
    const p = Math.min(Math.max(v / 255, 1e-4), 1 - 1e-4);
    table[v] = 255 / (1 + Math.exp(-contrast * (Math.log(p / (1 - p)) + brightness)));
  }
  return table;
}
