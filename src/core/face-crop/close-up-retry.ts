/**
 * The close-up retry of every still-picture face search: detectors miss a face that fills the whole picture (a tight
 * close-up) and find it on a copy whose border repeats the edge pixels. Plain arithmetic over pixels with the
 * detector passed in, so the static Space runs this same code (bundled into face-search.js) around face-api.
 */
import type { DetectedFace } from "../face-nets/detect-faces";

/** The border added on each side for the second try, as a share of the picture's longest side. */
export const STILL_PADDING = 0.25;

/** Packed RGB pixels. */
export type RgbPixels = { data: Uint8Array; width: number; height: number };

/** What a search with the retry found, and whether it took the padded copy. */
export interface StillFaces {
  faces: DetectedFace[];
  padded: boolean;
}

/** Runs `detect`, and when it finds nothing, runs it again on a border-extended copy and maps the faces back. */
export async function withCloseUpRetry(image: RgbPixels, detect: (image: RgbPixels) => Promise<DetectedFace[]>): Promise<StillFaces> {
  const faces = await detect(image);
  if (faces.length > 0) return { faces, padded: false };
  const pad = Math.max(8, Math.round(Math.max(image.width, image.height) * STILL_PADDING));
  const mapped = (await detect(extendBorder(image, pad)))
    .map((face) => ({
      ...face,
      box: { ...face.box, x: face.box.x - pad, y: face.box.y - pad },
      landmarks: face.landmarks.map((p) => ({ x: p.x - pad, y: p.y - pad })),
    }))
    // A "face" centred in the added border is made of repeated edge pixels (seen on a test pattern), never the close-up looked for.
    .filter(({ box }) => isInside(box.x + box.width / 2, image.width) && isInside(box.y + box.height / 2, image.height));
  return { faces: mapped, padded: mapped.length > 0 };
}

function isInside(value: number, extent: number): boolean {
  return value >= 0 && value <= extent;
}

/** A copy with `pad` pixels added on every side, each repeating the nearest edge pixel. */
function extendBorder(image: RgbPixels, pad: number): RgbPixels {
  const width = image.width + 2 * pad;
  const height = image.height + 2 * pad;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(image.height - 1, Math.max(0, y - pad));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(image.width - 1, Math.max(0, x - pad));
      const from = (sy * image.width + sx) * 3;
      const to = (y * width + x) * 3;
      data[to] = image.data[from];
      data[to + 1] = image.data[from + 1];
      data[to + 2] = image.data[from + 2];
    }
  }
  return { data, width, height };
}
