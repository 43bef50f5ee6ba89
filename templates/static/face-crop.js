// Face crops for models trained on them (preprocess.json has `faceCrop`): finds the largest face in the visitor's
// picture and cuts it out exactly as Deepfake Detector Studio cut every training picture, so the model sees what it
// learned from. Only app.js imports this file, and only for such models; face-api (which bundles TensorFlow.js) and
// its two nets are loaded from this Space's face-api/ folder on first use.
//
// The steps, and the studio file each one mirrors (src/core/…):
// 1. shrink the picture so its longest side is at most `resizeMax`, never enlarging (gather/process-image.ts, sharp's
//    lanczos3: here Pillow's lanczos3 from preprocess.js, within a level or two of sharp's);
// 2. find faces with face-api's detector and 68 landmarks on TensorFlow.js's WebAssembly backend, the backend the
//    studio runs face-api on in Node (reference-data/detect-faces.ts), at the recorded `minScore`, keeping only
//    detections whose landmarks are laid out like a face (face-crop/is-plausible-face.ts, bundled in face-search.js),
//    with the other detector when the recipe's finds none (face-crop/crop-largest-face.ts);
// 3. keep the face whose landmarks' bounding box is largest (face-crop/crop-largest-face.ts);
// 4. cut an upright square, `margin` × that box's longest side, centred on the box moved up across the eye line by
//    0.15 box sides, with 2×2 supersampled bilinear sampling and clamped edges, into `size`×`size` pixels
//    (face-crop/crop-training-face.ts and reference-data/face-frame.ts, ported line for line);
// 5. round-trip the crop through JPEG at `jpegQuality`, as the dataset stores crops, so the model sees the same kind
//    of compression artefacts it was trained on.
// Models that read blending statistics but were trained on pictures that already were face crops get the landmarks of
// the whole picture's largest face as predict finds them (face-features/face-landmarks.ts's detectLargestFace): the
// fast detector, then the accurate one, then both on copies turned ±25° for a tilted head (largestFaceLandmarks).
import { bitmapToRgb, resizeRgb } from "./preprocess.js";
import { isPlausibleFace, TILT_DEGREES, turnFaceBack, turnPixels } from "./face-search.js";

/** Where face-api and its nets live in the Space (written by the studio's face-api-runtime-files.ts). */
const FACE_API_DIR = new URL("./face-api/", import.meta.url).href;

/** Per detector named in the recipe: face-api's net and its options (as detect-frame-faces.ts sets them for stills). */
const DETECTORS = {
  accurate: { net: "ssdMobilenetv1", options: (faceapi, minScore) => new faceapi.SsdMobilenetv1Options({ minConfidence: minScore, maxResults: MAX_FACES }) },
  fast: { net: "tinyFaceDetector", options: (faceapi, minScore) => new faceapi.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: minScore }) },
};

/** detectFaces' default cap on faces per picture. */
const MAX_FACES = 20;
/** detect-still-faces.ts's STILL_PADDING: the border of the second try, as a share of the longest side. */
const STILL_PADDING = 0.25;
/** crop-training-face.ts's FOREHEAD_SHIFT: the crop centre moves this many box sides up across the eye line. */
const FOREHEAD_SHIFT = 0.15;
/** renderCrop's 2×2 samples per output pixel, at these offsets in output pixels. */
const SUBSAMPLES = [-0.25, 0.25];

/** Checks preprocess.json's `faceCrop` before anything runs on it; throws with a readable message. */
export function checkFaceCrop(settings) {
  const positive = (value) => typeof value === "number" && Number.isFinite(value) && value > 0;
  const ok = settings && Object.hasOwn(DETECTORS, settings.detector)
    && typeof settings.minScore === "number" && settings.minScore >= 0 && settings.minScore <= 1
    && Number.isInteger(settings.resizeMax) && settings.resizeMax > 0 && positive(settings.margin)
    && Number.isInteger(settings.size) && settings.size > 0 && settings.size <= 2048
    && Number.isInteger(settings.jpegQuality) && settings.jpegQuality >= 1 && settings.jpegQuality <= 100
    && settings.select === "largest";
  if (!ok) throw new Error("preprocess.json's faceCrop is not something this page understands.");
  return settings;
}

let loading;

/**
 * Loads face-api and the recipe's nets once (later calls share the promise; a failed load is retried next time).
 * The backend is TensorFlow.js's WebAssembly one, single-threaded (Spaces are not cross-origin isolated), which
 * runs in every current browser, headless ones included, and computes like the studio's; "cpu" (plain JavaScript,
 * slower, same float32 arithmetic) only if WebAssembly cannot start. WebGL is not used: where it exists at all it
 * computes in the GPU's precision, and a face found differently would be cropped differently.
 */
export function loadFaceDetector() {
  loading ??= (async () => {
    const faceapi = await import("./face-api/face-api.esm.js");
    const { tf } = faceapi;
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
    tf.setWasmPaths(FACE_API_DIR);
    let backend = "wasm";
    if (!(await tf.setBackend("wasm").catch(() => false))) {
      backend = "cpu";
      await tf.setBackend("cpu");
    }
    await tf.ready();
    // Both detectors: the search tries the other one when the first finds no face, as the studio's does.
    await Promise.all([...Object.values(DETECTORS).map((detector) => faceapi.nets[detector.net].loadFromUri(FACE_API_DIR)), faceapi.nets.faceLandmark68Net.loadFromUri(FACE_API_DIR)]);
    return { faceapi, backend };
  })();
  loading.catch(() => (loading = undefined));
  return loading;
}

/**
 * The crop of a decoded picture's largest face, or `undefined` when no face is found. Returns the JPEG round-tripped
 * crop as an ImageBitmap (what the model is given), where it was cut in the shrunk picture's pixels (`centre`,
 * `side`, detector `box`, `score`), the shrunk picture's size and how many faces were found.
 */
export async function cropLargestFace(bitmap, settings) {
  return cropLargestFaceOfPixels(shrinkToFit(bitmapToRgb(bitmap), settings.resizeMax), settings);
}

/** cropLargestFace from step 2 on: RGB pixels ({data, width, height}) already at most `resizeMax` on their longest side. */
export async function cropLargestFaceOfPixels(picture, settings) {
  const found = await findLargestFace(picture, settings);
  if (!found) return undefined;
  const { chosen, facesFound } = found;
  const crop = cropTrainingFace(picture, chosen.landmarks, settings.margin, settings.size);
  const image = await jpegRoundTrip(crop.pixels, crop.size, settings.jpegQuality);
  return { image, landmarks: crop.landmarks, size: crop.size, centre: crop.centre, side: crop.side, box: chosen.box, score: chosen.score, facesFound, width: picture.width, height: picture.height };
}

/**
 * The largest face of RGB pixels and how many were found, or undefined when none is: crop-largest-face.ts's search
 * (the recipe's detector, then the other; each with the close-up retry; face-like landmarks only).
 */
async function findLargestFace(picture, settings) {
  const other = settings.detector === "accurate" ? "fast" : "accurate";
  const faces = await searchFaces(picture, [settings.detector, other], settings.minScore);
  if (faces.length === 0) return undefined;
  // Largest by landmark extent (what the crop is framed from); the detector's left-to-right order breaks ties.
  const chosen = faces.map((face) => ({ face, size: faceFrame(face.landmarks).size })).reduce((best, next) => (next.size > best.size ? next : best)).face;
  return { chosen, facesFound: faces.length };
}

/** The first of `detectors` (in order) that finds a face-like face, each with the close-up retry; [] when none does. */
async function searchFaces(picture, detectors, minScore) {
  const { faceapi } = await loadFaceDetector();
  for (const name of detectors) {
    let faces = await detectFaces(faceapi, DETECTORS[name], picture, minScore);
    if (faces.length === 0) faces = await detectFacesPadded(faceapi, DETECTORS[name], picture, minScore);
    if (faces.length > 0) return faces;
  }
  return [];
}

/** predict's face search for whole pictures (detectLargestFace): at minScore 0.5, the fast detector then the accurate one. */
const WHOLE_PICTURE_DETECTORS = ["fast", "accurate"];
const WHOLE_PICTURE_MIN_SCORE = 0.5;

/**
 * Models trained on pictures that already were face crops and read blending statistics: the largest face's 68
 * landmarks in the decoded picture's pixels (shrunk to at most `resizeMax`), as predict finds them, or undefined.
 */
export async function largestFaceLandmarks(bitmap, settings) {
  return largestFaceLandmarksOfPixels(shrinkToFit(bitmapToRgb(bitmap), settings.resizeMax));
}

/**
 * largestFaceLandmarks from the search on: face-landmarks.ts's detectLargestFace, step for step. Upright first; when
 * no face is found, copies turned by -25° then +25° (face-features/tilt-geometry.ts), the faces turned back; the
 * largest by box area.
 */
export async function largestFaceLandmarksOfPixels(picture) {
  let faces = await searchFaces(picture, WHOLE_PICTURE_DETECTORS, WHOLE_PICTURE_MIN_SCORE);
  for (const degrees of [-TILT_DEGREES, TILT_DEGREES]) {
    if (faces.length > 0) break;
    const turned = turnPixels(picture, degrees);
    faces = (await searchFaces(turned.image, WHOLE_PICTURE_DETECTORS, WHOLE_PICTURE_MIN_SCORE)).map((face) => turnFaceBack(face, turned.toPicture));
  }
  if (faces.length === 0) return undefined;
  const largest = faces.reduce((best, next) => (next.box.width * next.box.height > best.box.width * best.box.height ? next : best));
  return { landmarks: largest.landmarks, box: largest.box, width: picture.width, height: picture.height };
}

/**
 * Shrinks RGB pixels so the longest side is at most `max`, never enlarging, with sharp's rounding of the other side
 * (fit "inside": the side that limits gets `max`, the other its exact share rounded to the nearest pixel).
 */
function shrinkToFit(image, max) {
  const { width, height } = image;
  if (width <= max && height <= max) return image;
  const xFactor = width / max;
  const yFactor = height / max;
  const [outWidth, outHeight] = xFactor >= yFactor ? [max, Math.max(1, Math.round(height / xFactor))] : [Math.max(1, Math.round(width / yFactor)), max];
  return resizeRgb(image, outWidth, outHeight, "lanczos3");
}

/**
 * Faces with their 68 landmarks, ordered left to right as detectFaces orders them, in plain numbers rounded to
 * 1/100 px (toDetectedFace's rounding). The picture goes in as an int32 tensor, as in the studio, so face-api crops
 * and resizes it with TensorFlow.js rather than with the browser's canvas.
 */
async function detectFaces(faceapi, detector, picture, minScore) {
  const { tf } = faceapi;
  const input = tf.tensor3d(Int32Array.from(picture.data), [picture.height, picture.width, 3], "int32");
  try {
    const results = await faceapi.detectAllFaces(input, detector.options(faceapi, minScore)).withFaceLandmarks();
    const round = (value) => Math.round(value * 100) / 100;
    return results
      .map((result) => {
        const { box, score } = result.detection;
        return {
          box: { x: round(box.x), y: round(box.y), width: round(box.width), height: round(box.height) },
          landmarks: result.landmarks.positions.map((p) => ({ x: round(p.x), y: round(p.y) })),
          score: round(score),
        };
      })
      // Only faces laid out like one (detect-frame-faces.ts's plausibleOnly): detectors box textures that are no face.
      .filter((face) => isPlausibleFace(face))
      .sort((a, b) => b.score - a.score)
      .slice(0, MAX_FACES)
      .sort((a, b) => a.box.x - b.box.x || a.box.y - b.box.y);
  } finally {
    input.dispose();
  }
}

/**
 * detect-still-faces.ts's second try: a face that fills the picture (a tight close-up) is missed by the detector
 * but found on a copy whose border, STILL_PADDING of the longest side on every side, repeats the edge pixels;
 * the coordinates are mapped back to the picture.
 */
async function detectFacesPadded(faceapi, detector, picture, minScore) {
  const pad = Math.max(8, Math.round(Math.max(picture.width, picture.height) * STILL_PADDING));
  const faces = await detectFaces(faceapi, detector, extendBorder(picture, pad), minScore);
  return faces
    .map((face) => ({
      ...face,
      box: { ...face.box, x: face.box.x - pad, y: face.box.y - pad },
      landmarks: face.landmarks.map((p) => ({ x: p.x - pad, y: p.y - pad })),
    }))
    // A "face" centred in the added border is made of repeated edge pixels, never the close-up looked for.
    .filter(({ box }) => isInside(box.x + box.width / 2, picture.width) && isInside(box.y + box.height / 2, picture.height));
}

function isInside(value, extent) {
  return value >= 0 && value <= extent;
}

/** A copy with `pad` pixels added on every side, each repeating the nearest edge pixel. */
function extendBorder(image, pad) {
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

/** face-frame.ts's faceFrame, the parts the crop needs: eye centres, the landmarks' box centre and longest side. */
export function faceFrame(landmarks) {
  const leftEye = mean(landmarks.slice(36, 42));
  const rightEye = mean(landmarks.slice(42, 48));
  const eyeDistance = Math.hypot(rightEye.x - leftEye.x, rightEye.y - leftEye.y);
  const xs = landmarks.map((p) => p.x);
  const ys = landmarks.map((p) => p.y);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  return { leftEye, rightEye, eyeDistance, centre: { x: (minX + maxX) / 2, y: (minY + maxY) / 2 }, size: Math.max(maxX - minX, maxY - minY) };
}

function mean(points) {
  return { x: points.reduce((s, p) => s + p.x, 0) / points.length, y: points.reduce((s, p) => s + p.y, 0) / points.length };
}

/** crop-training-face.ts's cropTrainingFace (upright, not mirrored): the square and its size×size RGB pixels. */
export function cropTrainingFace(image, landmarks, margin, size) {
  const frame = faceFrame(landmarks);
  const side = frame.size * margin;
  // Coincident eye centres (a degenerate detection) leave "up" as the image's up.
  const eyeDistance = frame.eyeDistance || 1;
  const eyeX = frame.eyeDistance ? (frame.rightEye.x - frame.leftEye.x) / eyeDistance : 1;
  const eyeY = (frame.rightEye.y - frame.leftEye.y) / eyeDistance;
  const centre = { x: frame.centre.x + eyeY * FOREHEAD_SHIFT * frame.size, y: frame.centre.y - eyeX * FOREHEAD_SHIFT * frame.size };
  // The landmarks in the crop's pixels (crop-training-face.ts's toCrop), where blending statistics are measured.
  const landmarksInCrop = landmarks.map((p) => ({ x: ((p.x - centre.x) * size) / side + size / 2, y: ((p.y - centre.y) * size) / side + size / 2 }));
  return { pixels: resampleUpright(image, centre, side, size), size, centre, side, landmarks: landmarksInCrop };
}

/**
 * Each output pixel averages 4 bilinear samples of the source, edges clamped, pixel centres at +0.5: the studio's
 * resampleUpright, same arithmetic in the same order (JavaScript numbers are the same doubles in both places).
 */
function resampleUpright(image, centre, side, size) {
  const { data, width, height } = image;
  const scale = side / size;
  const columns = axisSamples(size, scale, centre.x, width);
  const rows = axisSamples(size, scale, centre.y, height);
  const pixels = new Uint8Array(size * size * 3);
  const rowStride = width * 3;
  for (let v = 0; v < size; v++) {
    let out = v * size * 3;
    for (let u = 0; u < size; u++, out += 3) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let sv = 0; sv < 2; sv++) {
        const ri = v * 2 + sv;
        const top = rows.first[ri] * rowStride;
        const bottom = rows.second[ri] * rowStride;
        const ay = rows.weight[ri];
        for (let su = 0; su < 2; su++) {
          const ci = u * 2 + su;
          const left = columns.first[ci] * 3;
          const right = columns.second[ci] * 3;
          const ax = columns.weight[ci];
          const i00 = top + left;
          const i10 = top + right;
          const i01 = bottom + left;
          const i11 = bottom + right;
          let t = data[i00] + (data[i10] - data[i00]) * ax;
          r += t + (data[i01] + (data[i11] - data[i01]) * ax - t) * ay;
          t = data[i00 + 1] + (data[i10 + 1] - data[i00 + 1]) * ax;
          g += t + (data[i01 + 1] + (data[i11 + 1] - data[i01 + 1]) * ax - t) * ay;
          t = data[i00 + 2] + (data[i10 + 2] - data[i00 + 2]) * ax;
          b += t + (data[i01 + 2] + (data[i11 + 2] - data[i01 + 2]) * ax - t) * ay;
        }
      }
      pixels[out] = Math.min(255, Math.max(0, Math.round(r / 4)));
      pixels[out + 1] = Math.min(255, Math.max(0, Math.round(g / 4)));
      pixels[out + 2] = Math.min(255, Math.max(0, Math.round(b / 4)));
    }
  }
  return pixels;
}

/** For each output index and subsample along one axis: the two source pixel indices and the weight of the second. */
function axisSamples(size, scale, centre, extent) {
  const count = size * 2;
  const first = new Int32Array(count);
  const second = new Int32Array(count);
  const weight = new Float64Array(count);
  for (let i = 0; i < size; i++) {
    for (let s = 0; s < 2; s++) {
      const offset = (i + 0.5 + SUBSAMPLES[s] - size / 2) * scale;
      const f = Math.min(Math.max(centre + offset - 0.5, 0), extent - 1);
      const at = i * 2 + s;
      first[at] = Math.floor(f);
      second[at] = Math.min(first[at] + 1, extent - 1);
      weight[at] = f - first[at];
    }
  }
  return { first, second, weight };
}

/** Encodes the crop as JPEG at `quality` (1-100) and decodes it again, as the dataset's crops were stored and read. */
async function jpegRoundTrip(rgb, size, quality) {
  const rgba = new Uint8ClampedArray(size * size * 4);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    rgba[j] = rgb[i];
    rgba[j + 1] = rgb[i + 1];
    rgba[j + 2] = rgb[i + 2];
    rgba[j + 3] = 255;
  }
  const canvas = typeof OffscreenCanvas === "function" ? new OffscreenCanvas(size, size) : Object.assign(document.createElement("canvas"), { width: size, height: size });
  canvas.getContext("2d", { colorSpace: "srgb" }).putImageData(new ImageData(rgba, size, size, { colorSpace: "srgb" }), 0, 0);
  const blob = canvas instanceof HTMLCanvasElement || typeof canvas.convertToBlob !== "function"
    ? await new Promise((resolve, reject) => canvas.toBlob((result) => (result ? resolve(result) : reject(new Error("The browser could not encode the face as JPEG."))), "image/jpeg", quality / 100))
    : await canvas.convertToBlob({ type: "image/jpeg", quality: quality / 100 });
  return createImageBitmap(blob, { imageOrientation: "none", premultiplyAlpha: "none", colorSpaceConversion: "none" });
}
