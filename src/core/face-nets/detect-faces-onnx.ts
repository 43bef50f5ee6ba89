/**
 * face-api's detectAllFaces(...).withFaceLandmarks() on ONNX Runtime: the same nets, weights, pre- and
 * post-processing (test/face-nets.spec.ts pins the results to face-api's own), at a fraction of tfjs-wasm's time.
 * The landmark net runs once for all faces of a picture.
 */
import type { DetectedFace, FacePoint, PixelImage } from "./detect-faces";
import { decodeSsd, decodeTiny, type RawDetection } from "./decode-detections";
import { faceNetWeights, runFaceNet } from "./face-net-sessions";
import { prepareNetInput, type NetInputSpec, type NetPixels } from "./prepare-net-input";
import type { SsdInt8Options } from "./ssd-int8";
import { SSD_SIDE, ssdWindow, ssdWindowAnchors } from "./ssd-window";

/** Parameters of detectFacesOnnx. */
export interface DetectFacesOnnxParams {
  image: PixelImage;
  /** "accurate": SSD MobileNet v1 at 512 (on the part of the square the picture fills); "fast": Tiny Face Detector at `inputSize`. */
  detector: "accurate" | "fast";
  /** Detections scoring at or below this are dropped (default 0.5). */
  minScore?: number;
  /** The SSD's maximum number of results (default 20). */
  maxFaces?: number;
  /** The Tiny detector's input side, a multiple of 32 (default 416, face-api's default). */
  inputSize?: number;
  /** Run the SSD with int8 convolutions (ssd-int8.ts) instead of face-api's float32: for benchmarks, the crops move. */
  ssdInt8?: SsdInt8Options;
}

let defaultSsdInt8: SsdInt8Options | undefined;

/** The int8 SSD options calls that name none use (undefined: face-api's float32 SSD, the studio's recipe). */
export function ssdInt8Default(): SsdInt8Options | undefined {
  return defaultSsdInt8;
}

/** Makes calls that name no SSD arithmetic use the int8 SSD with these options, or float32 again (undefined); for benchmarks. */
export function setSsdInt8Default(options: SsdInt8Options | undefined): void {
  defaultSsdInt8 = options;
}

// Each net's input recipe (face-api: SsdMobilenetv1.forwardInput, TinyFaceDetector's MEAN_RGB, FaceFeatureExtractor).
const SSD_INPUT: NetInputSpec = { side: SSD_SIDE, centre: false, mean: [127.5, 127.5, 127.5], divisor: 127.5 };
const TINY_MEAN = [117.001, 114.697, 97.404] as const;
const LANDMARK_INPUT: NetInputSpec = { side: 112, centre: true, mean: [122.782, 117.001, 104.298], divisor: 255 };

/** Faces with their 68 landmarks, in face-api's result order, rounded to 1/100 px like toDetectedFace. */
export async function detectFacesOnnx(params: DetectFacesOnnxParams): Promise<DetectedFace[]> {
  const pixels: NetPixels = { ...params.image, channels: params.image.channels ?? params.image.data.length / (params.image.width * params.image.height) };
  const whole = { x: 0, y: 0, width: pixels.width, height: pixels.height };
  const minScore = params.minScore ?? 0.5;
  let detections: RawDetection[];
  if (params.detector === "accurate") {
    // Only the part of the square that holds the picture (ssd-window.ts): the padding is most of a wide picture's waste.
    const { rows, cols } = ssdWindow(pixels.width, pixels.height);
    const int8 = params.ssdInt8 ?? defaultSsdInt8;
    const { boxes, classes } = await withInputBuffer(3 * rows * cols, (input) => {
      prepareNetInput(pixels, whole, { ...SSD_INPUT, rows, cols }, input);
      return runFaceNet(int8 ? { ssdInt8: int8 } : "ssd", input, [1, 3, rows, cols]);
    });
    const anchors = ssdWindowAnchors((await faceNetWeights("ssd")).get("Output/extra_dim")!.data, rows, cols);
    detections = decodeSsd({ boxes, classes, anchors, width: pixels.width, height: pixels.height, minScore, maxResults: params.maxFaces ?? 20 });
  } else {
    const side = params.inputSize ?? 416;
    const { grid } = await withInputBuffer(3 * side * side, (input) => {
      prepareNetInput(pixels, whole, { side, centre: false, mean: TINY_MEAN, divisor: 255 }, input);
      return runFaceNet("tiny", input, [1, 3, side, side]);
    });
    detections = decodeTiny({ grid, inputSize: side, width: pixels.width, height: pixels.height, minScore });
  }
  return withLandmarks(pixels, detections);
}

/** Detector inputs (1.5-2.4 MB each) by length, reused: a new one per picture kept the garbage collector busy. */
const freeInputs = new Map<number, Float32Array[]>();

/** Runs `use` with a float32 buffer of `length` (every value is written before it is read) that no other call holds meanwhile. */
async function withInputBuffer<T>(length: number, use: (input: Float32Array) => Promise<T>): Promise<T> {
  const input = freeInputs.get(length)?.pop() ?? new Float32Array(length);
  try {
    return await use(input);
  } finally {
    // Two spares per size cover the pictures a thread has in flight at once; more would only hold memory.
    const free = freeInputs.get(length) ?? [];
    if (free.length < 2) free.push(input);
    freeInputs.set(length, free);
  }
}

/** DetectAllFaceLandmarksTask: each box clipped and floored, its crop through the landmark net, points shifted by the unclipped box. */
export async function withLandmarks(pixels: NetPixels, detections: RawDetection[]): Promise<DetectedFace[]> {
  // A box wholly outside the picture has no crop and is dropped (face-api drops it too, but then pairs the remaining
  // crops with the detections by position, giving a later face the landmarks of the one after it).
  const pairs = detections.map((detection) => ({ detection, crop: clipAtBorders(detection.box, pixels.width, pixels.height) })).filter(({ crop }) => crop.width > 0 && crop.height > 0);
  const crops = pairs.map(({ crop }) => crop);
  const kept = pairs.map(({ detection }) => detection);
  if (crops.length === 0) return [];
  const plane = 3 * 112 * 112;
  const input = new Float32Array(crops.length * plane);
  crops.forEach((crop, i) => prepareNetInput(pixels, crop, LANDMARK_INPUT, input, i));
  const { landmarks } = await runFaceNet("landmarks", input, [crops.length, 3, 112, 112]);
  return kept.map((detection, i) => {
    const crop = crops[i];
    const scale = 112 / Math.max(crop.width, crop.height);
    const [w, h] = [crop.width * scale, crop.height * scale];
    const padX = w < h ? Math.abs(w - h) / 2 : 0;
    const padY = h < w ? Math.abs(w - h) / 2 : 0;
    const points: FacePoint[] = [];
    for (let p = 0; p < 68; p++) {
      const rx = (landmarks[i * 136 + p * 2] * 112 - padX) / w;
      const ry = (landmarks[i * 136 + p * 2 + 1] * 112 - padY) / h;
      points.push({ x: round(rx * crop.width + detection.box.x), y: round(ry * crop.height + detection.box.y) });
    }
    const { box } = detection;
    return { box: { x: round(box.x), y: round(box.y), width: round(box.width), height: round(box.height) }, landmarks: points, score: round(detection.score) };
  });
}

/** Box.clipAtImageBorders: clipped to the picture, then floored. */
function clipAtBorders(box: RawDetection["box"], width: number, height: number): { x: number; y: number; width: number; height: number } {
  const x = Math.max(box.x, 0);
  const y = Math.max(box.y, 0);
  const w = Math.min(box.x + box.width - x, width - x);
  const h = Math.min(box.y + box.height - y, height - y);
  return { x: Math.floor(x), y: Math.floor(y), width: Math.floor(w), height: Math.floor(h) };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
