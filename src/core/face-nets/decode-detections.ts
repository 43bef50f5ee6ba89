/**
 * What face-api does after its detectors' last convolution, in the same arithmetic: SSD box decoding against its
 * 5118 anchors and its own non-maximum suppression (ssdMobilenetv1/outputLayer.ts, nonMaxSuppression.ts), Tiny
 * YOLO's grid decoding and the shared suppression (tinyYolov2/TinyYolov2Base.ts, ops/nonMaxSuppression.ts).
 * Boxes come out in the picture's pixels, as face-api's FaceDetection.box.
 */
import type { FaceBox } from "./detect-faces";

/** A detector's answer: a box in picture pixels and its score. */
export interface RawDetection {
  box: FaceBox;
  score: number;
}

/** tiny_face_detector's anchors and suppression threshold (tinyFaceDetector/const.ts). */
const TINY_ANCHORS = [[1.603231, 2.094468], [6.041143, 7.080126], [2.882459, 3.518061], [4.266906, 5.178857], [9.041765, 10.66308]];
const TINY_IOU = 0.4;
const SSD_IOU = 0.5;

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** The side the picture's long side is scaled to, per axis (computeReshapedDimensions). */
function reshaped(width: number, height: number, side: number): { width: number; height: number } {
  const scale = side / Math.max(width, height);
  return { width: Math.round(width * scale), height: Math.round(height * scale) };
}

/** SSD MobileNet v1: `boxes`/`classes` of one picture → detections above minScore, at most maxResults. */
export function decodeSsd(params: { boxes: Float32Array; classes: Float32Array; anchors: Float32Array; width: number; height: number; minScore: number; maxResults: number }): RawDetection[] {
  const { boxes, classes, anchors } = params;
  const count = anchors.length / 4;
  const decoded = new Float32Array(count * 4);
  const scores: number[] = [];
  for (let i = 0; i < count; i++) {
    const a = i * 4;
    const sizeY = anchors[a + 2] - anchors[a];
    const sizeX = anchors[a + 3] - anchors[a + 1];
    const centreY = anchors[a] + sizeY / 2;
    const centreX = anchors[a + 1] + sizeX / 2;
    const halfY = (Math.exp(boxes[a + 2] / 5) * sizeY) / 2;
    const midY = (boxes[a] / 10) * sizeY + centreY;
    const halfX = (Math.exp(boxes[a + 3] / 5) * sizeX) / 2;
    const midX = (boxes[a + 1] / 10) * sizeX + centreX;
    decoded.set([midY - halfY, midX - halfX, midY + halfY, midX + halfX], a);
    scores.push(sigmoid(classes[i * 3 + 1]));
  }
  const picked = ssdSuppression(decoded, scores, Math.min(params.maxResults, count), params.minScore);
  const dims = reshaped(params.width, params.height, 512);
  const padX = 512 / dims.width;
  const padY = 512 / dims.height;
  return picked.map((i) => {
    const top = Math.max(0, decoded[i * 4]) * padY;
    const bottom = Math.min(1, decoded[i * 4 + 2]) * padY;
    const left = Math.max(0, decoded[i * 4 + 1]) * padX;
    const right = Math.min(1, decoded[i * 4 + 3]) * padX;
    return { score: scores[i], box: { x: left * params.width, y: top * params.height, width: (right - left) * params.width, height: (bottom - top) * params.height } };
  });
}

/** Tiny Face Detector: the `grid` of one picture ([25, cells, cells]) → detections scoring above minScore. */
export function decodeTiny(params: { grid: Float32Array; inputSize: number; width: number; height: number; minScore: number }): RawDetection[] {
  const { grid } = params;
  const cells = Math.round(Math.sqrt(grid.length / 25));
  const plane = cells * cells;
  const dims = reshaped(params.width, params.height, params.inputSize);
  const side = Math.max(dims.width, dims.height);
  const fx = side / dims.width;
  const fy = side / dims.height;
  const found: RawDetection[] = [];
  for (let row = 0; row < cells; row++) for (let col = 0; col < cells; col++) for (let anchor = 0; anchor < TINY_ANCHORS.length; anchor++) {
    const at = (k: number) => grid[(anchor * 5 + k) * plane + row * cells + col];
    const score = sigmoid(at(4));
    if (params.minScore && !(score > params.minScore)) continue;
    const w = ((Math.exp(at(2)) * TINY_ANCHORS[anchor][0]) / cells) * fx;
    const h = ((Math.exp(at(3)) * TINY_ANCHORS[anchor][1]) / cells) * fy;
    const x = ((col + sigmoid(at(0))) / cells) * fx - w / 2;
    const y = ((row + sigmoid(at(1))) / cells) * fy - h / 2;
    found.push({ score, box: { x, y, width: w, height: h } });
  }
  const picked = tinySuppression(found.map(({ box }) => scaleBox(box, params.inputSize, params.inputSize)), found.map((f) => f.score));
  return picked.map((i) => ({ score: found[i].score, box: scaleBox(found[i].box, params.width, params.height) }));
}

function scaleBox(box: FaceBox, width: number, height: number): FaceBox {
  return { x: box.x * width, y: box.y * height, width: box.width * width, height: box.height * height };
}

/** ssdMobilenetv1/nonMaxSuppression.ts on [top, left, bottom, right] boxes. */
function ssdSuppression(boxes: Float32Array, scores: number[], maxOutput: number, minScore: number): number[] {
  const candidates = scores.map((score, index) => ({ score, index })).filter((c) => c.score > minScore).sort((a, b) => b.score - a.score);
  const selected: number[] = [];
  for (const c of candidates) {
    if (selected.length >= maxOutput) break;
    const original = c.score;
    for (let j = selected.length - 1; j >= 0; --j) {
      const iou = cornerIou(boxes, c.index, selected[j]);
      if (iou === 0) continue;
      c.score *= iou <= SSD_IOU ? 1 : 0;
      if (c.score <= minScore) break;
    }
    if (original === c.score) selected.push(c.index);
  }
  return selected;
}

function cornerIou(b: Float32Array, i: number, j: number): number {
  const [yi0, yi1] = [Math.min(b[i * 4], b[i * 4 + 2]), Math.max(b[i * 4], b[i * 4 + 2])];
  const [xi0, xi1] = [Math.min(b[i * 4 + 1], b[i * 4 + 3]), Math.max(b[i * 4 + 1], b[i * 4 + 3])];
  const [yj0, yj1] = [Math.min(b[j * 4], b[j * 4 + 2]), Math.max(b[j * 4], b[j * 4 + 2])];
  const [xj0, xj1] = [Math.min(b[j * 4 + 1], b[j * 4 + 3]), Math.max(b[j * 4 + 1], b[j * 4 + 3])];
  const areaI = (yi1 - yi0) * (xi1 - xi0);
  const areaJ = (yj1 - yj0) * (xj1 - xj0);
  if (areaI <= 0 || areaJ <= 0) return 0;
  const inter = Math.max(Math.min(yi1, yj1) - Math.max(yi0, yj0), 0) * Math.max(Math.min(xi1, xj1) - Math.max(xi0, xj0), 0);
  return inter / (areaI + areaJ - inter);
}

/** ops/nonMaxSuppression.ts: highest score first, dropping boxes that overlap a kept one by more than TINY_IOU. */
function tinySuppression(boxes: FaceBox[], scores: number[]): number[] {
  let order = scores.map((score, index) => ({ score, index })).sort((a, b) => a.score - b.score).map((c) => c.index);
  const pick: number[] = [];
  while (order.length > 0) {
    const current = order.pop()!;
    pick.push(current);
    order = order.filter((other) => boxIou(boxes[current], boxes[other]) <= TINY_IOU);
  }
  return pick;
}

/** Intersection over union of two boxes. */
export function boxIou(a: FaceBox, b: FaceBox): number {
  const w = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const h = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}
