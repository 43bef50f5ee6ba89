/**
 * Class activation maps of the studio's linear head: which slices of the feature vector have a place in the picture.
 *
 * The head scores class k as Σ_f w_fk · (x_f − mean_f) / std_f + b_k. An average-pooled feature is the mean over the
 * tap's cells of one channel, so its term spreads exactly over those cells: cell p carries w_fk / std_f · (A_f(p) − mean_f),
 * and the map's mean over the cells is the term itself. A max-pooled feature is one cell's value: its whole term is
 * put on the cell(s) holding the maximum (shared when several tie), scaled by the cell count so the map's mean over
 * the cells still equals the term. Inner-face poolings do the same inside their window. Vector taps, face contrasts
 * (inner face minus the ring around it) and the blending statistics have no single place in the picture: the map
 * leaves them out and says so (`CAM_COVERAGE_NOTE`).
 */
import type { TapPooling } from "../backbone/known-backbones";

/** One pooled block of C features read from one image-shaped tap. */
export interface CamPart {
  /** Index of the tap (in the feature layout's tap order). */
  tap: number;
  pooling: TapPooling;
  /** First feature of the block in the feature vector. */
  offset: number;
  channels: number;
}

/** Tap shapes as the converter and the tfjs extractor see them: [height, width, channels] for images, [length] for vectors. */
export interface CamTapShape {
  shape: number[];
  pooling: TapPooling[];
}

/** The image-shaped parts of the feature vector, laid out as extract-features-tfjs.ts and the ONNX graph concatenate them. */
export function camParts(taps: readonly CamTapShape[]): CamPart[] {
  const parts: CamPart[] = [];
  let offset = 0;
  taps.forEach((tap, index) => {
    if (tap.shape.length !== 3) {
      offset += tap.shape.reduce((a, b) => a * b, 1);
      return;
    }
    const channels = tap.shape[2];
    for (const pooling of tap.pooling.length > 0 ? tap.pooling : (["avg"] as TapPooling[])) {
      // A face contrast is a difference of two regions' means (train.faceContrast): left out, like the statistics.
      if (pooling !== "face-contrast") parts.push({ tap: index, pooling, offset, channels });
      offset += channels;
    }
  });
  return parts;
}

/** The finest grid among the parts' taps ([h, w, …] shapes): the map is drawn on it, coarser parts resized up. */
export function camGrid(shapes: ReadonlyArray<readonly number[]>): { height: number; width: number } {
  return { height: Math.max(...shapes.map((shape) => shape[0])), width: Math.max(...shapes.map((shape) => shape[1])) };
}

/** What a map leaves out, in words for the CLI, the card and the panels. */
export const CAM_COVERAGE_NOTE = "The map shows the backbone's part of the score; the face's blending statistics and face contrasts (when the model reads them) have no single place in the picture and are not in it.";

/** How max-pooled features are drawn, in words. */
export const CAM_MAX_POOLING_NOTE = "Average-pooled features are spread exactly over the picture; a max-pooled feature is drawn on the place holding its maximum.";
