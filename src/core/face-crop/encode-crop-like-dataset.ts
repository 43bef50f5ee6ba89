/**
 * A face crop as the dataset stores one: JPEG-encoded exactly as import/gather encode their crops (describePixels),
 * then decoded again. Training and predict read those JPEGs, so a crop check cuts straight from a frame carries the
 * same compression artefacts only after this round trip; without it, check scored cleaner pixels than the model
 * ever saw.
 */
import { DEFAULT_JPEG_QUALITY, encodeJpeg } from "../shared/process-image";
import { decodeImagePixels } from "../shared/decode-image-pixels";

/** The quality a model's training pictures were stored at: its face-crop recipe's, else the dataset's default. */
export function datasetJpegQuality(faceCrop: { jpegQuality: number } | undefined): number {
  return faceCrop?.jpegQuality ?? DEFAULT_JPEG_QUALITY;
}

/** Packed RGB pixels (width·height·3) → the pixels of their stored JPEG, same size. */
export async function encodeCropLikeDataset(crop: { pixels: Uint8Array; width: number; height: number }, jpegQuality: number): Promise<Uint8Array> {
  const jpeg = await encodeJpeg({ data: Buffer.from(crop.pixels.buffer, crop.pixels.byteOffset, crop.pixels.byteLength), width: crop.width, height: crop.height, channels: 3 }, jpegQuality);
  const decoded = await decodeImagePixels({ source: jpeg });
  return new Uint8Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.byteLength);
}
