// Face crops for models trained on them (preprocess.json has `faceCrop`): finds the largest face in the visitor's
// picture and cuts it out exactly as Deepfake Detector Studio cut every training picture, so the model sees what it
// learned from. Only app.js imports this file, and only for such models; face-api (which bundles TensorFlow.js) and
// its two nets are loaded from this Space's face-api/ folder on first use.
//
// The steps, and the studio file each one mirrors (src/core/…):
// 1. shrink the picture so its longest side is at most `resizeMax`, never enlarging (shared/process-image.ts, sharp's
//    lanczos3: here Pillow's lanczos3 from preprocess.js, within a level or two of sharp's);
// 2. find faces with face-api's detector and 68 landmarks on TensorFlow.js's WebAssembly backend, the backend the
//    studio runs face-api on in Node (face-nets/detect-faces.ts), at the recorded `minScore`, keeping only
//    detections whose landmarks are laid out like a face (face-crop/is-plausible-face.ts, bundled in face-search.js),
//    with the other detector when the recipe's finds none (face-crop/crop-largest-face.ts), each retried on a copy with
//    a border when it finds nothing (face-crop/close-up-retry.ts, bundled too);
// 3. keep the face whose landmarks' bounding box is largest (face-crop/crop-largest-face.ts);
// 4. cut an upright square, `margin` × that box's longest side, centred on the box moved up across the eye line by
//    0.15 box sides, with 2×2 supersampled bilinear sampling and clamped edges, into `size`×`size` pixels
//    (face-crop/crop-training-face.ts and face-nets/face-frame.ts themselves, bundled in face-search.js);
// 5. round-trip the crop through JPEG at `jpegQuality`, as the dataset stores crops, so the model sees the same kind
//    of compression artefacts it was trained on.
// Models that read blending statistics but were trained on pictures that already were face crops get the landmarks of
// the whole picture's largest face as predict finds them (face-features/face-landmarks.ts's detectLargestFace): the
// fast detector, then the accurate one, then both on copies turned ±25° for a tilted head (largestFaceLandmarks).
import { bitmapToRgb, resizeRgb } from "./preprocess.js";
import { cropTrainingFace, faceFrame, isPlausibleFace, TILT_DEGREES, turnFaceBack, turnPixels, withCloseUpRetry } from "./face-search.js";

/** Where face-api and its nets live in the Space (written by the studio's face-api-runtime-files.ts). */
const FACE_API_DIR = new URL("./face-api/", import.meta.url).href;

/** Per detector named in the recipe: face-api's net and its options (as detect-frame-faces.ts sets them for stills). */
const DETECTORS = {
  accurate: { net: "ssdMobilenetv1", options: (faceapi, minScore) => new faceapi.SsdMobilenetv1Options({ minConfidence: minScore, maxResults: MAX_FACES }) },
  fast: { net: "tinyFaceDetector", options: (faceapi, minScore) => new faceapi.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: minScore }) },
};

/** detectFaces' default cap on faces per picture. */
const MAX_FACES = 20;

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
  const crop = cropTrainingFace({ image: picture, landmarks: chosen.landmarks, margin: settings.margin, size: settings.size });
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
    const { faces } = await withCloseUpRetry(picture, (image) => detectFaces(faceapi, DETECTORS[name], image, minScore));
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
