/** The picture the model saw with its activation map laid over it (and the face box), as a PNG. */
import sharp from "sharp";
import { drawCamOverlay, type DrawCamOverlayParams } from "./draw-overlay";

/** Parameters of renderCamOverlay: the picture is required here. */
export type RenderCamOverlayParams = DrawCamOverlayParams & { picture: ArrayLike<number> };

/**
 * PNG bytes of drawCamOverlay's RGB. Fast zlib level and no adaptive filtering: predict --cam writes one per
 * picture, and the filter search cost more than the few kilobytes it saves on a 224-px picture.
 */
export async function renderCamOverlay(params: RenderCamOverlayParams): Promise<Buffer> {
  const pixels = drawCamOverlay(params);
  return sharp(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), { raw: { width: params.width, height: params.height, channels: 3 } })
    .png({ compressionLevel: 1, adaptiveFiltering: false })
    .toBuffer();
}
