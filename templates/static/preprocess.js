// Picture → model input, exactly as preprocess.json says and as the studio trained: EXIF orientation applied,
// transparency on white, sRGB RGB, squish resize (stretch to the model's size, no crop) with the recorded kernel,
// values 0..255 as float32 NHWC. The scaling to the backbone's range happens inside model.onnx, never here.
//
// The resize is done here in JavaScript instead of with canvas scaling, because browsers scale with their own
// filters (and differently from each other). This is Pillow's algorithm (separable convolution, antialiased when
// shrinking, 8-bit fixed-point rounding after each pass), the same one the Gradio template's PIL code uses, and
// within a level or two of the sharp resize used in training.

/** Above this many pixels the browser first shrinks the picture itself, to keep memory use sane on phones. */
export const MAX_DECODED_PIXELS = 24_000_000;

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;

/** Kernels named as in preprocess.json (sharp's names), defined as Pillow defines them. */
const FILTERS = {
  linear: { support: 1, weight: (x) => (x < 0 ? -x : x) < 1 ? 1 - Math.abs(x) : 0 },
  cubic: { support: 2, weight: bicubic },
  lanczos3: { support: 3, weight: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

function bicubic(x) {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

function sinc(x) {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

/** Checks preprocess.json before anything runs on it; throws with a readable message. */
export function checkPreprocess(preprocess) {
  const ok = preprocess && Array.isArray(preprocess.size) && preprocess.size.length === 2
    && preprocess.size.every((side) => Number.isInteger(side) && side > 0 && side <= 4096)
    && preprocess.resize === "squish" && preprocess.channels === "RGB" && preprocess.layout === "NHWC"
    && Array.isArray(preprocess.range) && preprocess.range[0] === 0 && preprocess.range[1] === 255
    && (preprocess.kernel === "nearest" || Object.hasOwn(FILTERS, preprocess.kernel));
  if (!ok) throw new Error("preprocess.json is not something this page understands (expected squish, RGB, NHWC, 0..255).");
  return preprocess;
}

/** Decodes a picture (File/Blob) with its EXIF orientation; shrinks giant ones while decoding. */
export async function decodePicture(blob) {
  const options = { imageOrientation: "from-image", premultiplyAlpha: "none", colorSpaceConversion: "default" };
  let bitmap = await createImageBitmap(blob, options);
  const pixels = bitmap.width * bitmap.height;
  if (pixels > MAX_DECODED_PIXELS) {
    const factor = Math.sqrt(MAX_DECODED_PIXELS / pixels);
    const resizeWidth = Math.max(1, Math.floor(bitmap.width * factor));
    const resizeHeight = Math.max(1, Math.floor(bitmap.height * factor));
    bitmap.close();
    bitmap = await createImageBitmap(blob, { ...options, resizeWidth, resizeHeight, resizeQuality: "high" });
  }
  return bitmap;
}

/** RGB bytes (3 per pixel) of a decoded picture, transparency composited on white. */
export function bitmapToRgb(bitmap) {
  const { width, height } = bitmap;
  const canvas = typeof OffscreenCanvas === "function" ? new OffscreenCanvas(width, height) : Object.assign(document.createElement("canvas"), { width, height });
  const context = canvas.getContext("2d", { willReadFrequently: true, colorSpace: "srgb" });
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, width, height);
  context.drawImage(bitmap, 0, 0);
  const rgba = context.getImageData(0, 0, width, height, { colorSpace: "srgb" }).data;
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    rgb[j] = rgba[i];
    rgb[j + 1] = rgba[i + 1];
    rgb[j + 2] = rgba[i + 2];
  }
  return { data: rgb, width, height };
}

/** Squish-resizes RGB bytes to width x height with the named kernel (Pillow's Image.resize). */
export function resizeRgb(image, width, height, kernel) {
  if (image.width === width && image.height === height) return { data: image.data.slice(), width, height };
  if (kernel === "nearest") return resizeNearest(image, width, height);
  const filter = FILTERS[kernel];
  if (!filter) throw new Error(`Unknown resize kernel "${kernel}".`);
  // Horizontal first, then vertical, each rounded to 8 bits: the order and rounding Pillow uses.
  let current = image;
  if (image.width !== width) current = resizeAxis(current, width, filter, true);
  if (image.height !== height) current = resizeAxis(current, height, filter, false);
  return current;
}

/** Everything in one call: a decoded bitmap → the Float32Array the model takes ([1, H, W, 3] row-major). */
export function bitmapToModelInput(bitmap, preprocess) {
  const [height, width] = preprocess.size;
  const resized = resizeRgb(bitmapToRgb(bitmap), width, height, preprocess.kernel);
  return Float32Array.from(resized.data);
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc: per output pixel, the first input index and fixed-point weights. */
function coefficients(inSize, outSize, filter) {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const bounds = new Int32Array(outSize * 2);
  const weights = [];
  for (let out = 0; out < outSize; out++) {
    const centre = (out + 0.5) * scale;
    const xmin = Math.max(Math.trunc(centre - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(centre + support + 0.5), inSize) - xmin;
    const raw = new Float64Array(xmax);
    let sum = 0;
    for (let x = 0; x < xmax; x++) {
      const w = filter.weight((x + xmin - centre + 0.5) / filterScale);
      raw[x] = w;
      sum += w;
    }
    const fixed = new Float64Array(xmax);
    for (let x = 0; x < xmax; x++) {
      const w = sum !== 0 ? raw[x] / sum : raw[x];
      fixed[x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    bounds[out * 2] = xmin;
    bounds[out * 2 + 1] = xmax;
    weights.push(fixed);
  }
  return { bounds, weights };
}

function resizeAxis(image, outSize, filter, horizontal) {
  const inSize = horizontal ? image.width : image.height;
  const { bounds, weights } = coefficients(inSize, outSize, filter);
  const width = horizontal ? outSize : image.width;
  const height = horizontal ? image.height : outSize;
  const src = image.data;
  const dst = new Uint8Array(width * height * 3);
  const half = ONE / 2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const out = horizontal ? x : y;
      const start = bounds[out * 2];
      const count = bounds[out * 2 + 1];
      const k = weights[out];
      let r = half;
      let g = half;
      let b = half;
      for (let i = 0; i < count; i++) {
        const at = horizontal ? (y * image.width + start + i) * 3 : ((start + i) * image.width + x) * 3;
        const w = k[i];
        r += src[at] * w;
        g += src[at + 1] * w;
        b += src[at + 2] * w;
      }
      const to = (y * width + x) * 3;
      dst[to] = clip8(r);
      dst[to + 1] = clip8(g);
      dst[to + 2] = clip8(b);
    }
  }
  return { data: dst, width, height };
}

/** Fixed-point sum → 0..255 the way Pillow's clip8 does (floor, then clamp). */
function clip8(value) {
  const v = Math.floor(value / ONE);
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * Pillow's NEAREST (ImagingScaleAffine): the input pixel under each output pixel's centre, with the centre
 * advanced by repeated addition as Pillow does, so exact ties fall on the same side.
 */
function resizeNearest(image, width, height) {
  const table = (inSize, outSize) => {
    const scale = inSize / outSize;
    const indices = new Int32Array(outSize);
    let centre = scale * 0.5;
    for (let i = 0; i < outSize; i++) {
      indices[i] = Math.min(Math.trunc(centre), inSize - 1);
      centre += scale;
    }
    return indices;
  };
  const columns = table(image.width, width);
  const rows = table(image.height, height);
  const dst = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = (rows[y] * image.width + columns[x]) * 3;
      const to = (y * width + x) * 3;
      dst[to] = image.data[from];
      dst[to + 1] = image.data[from + 1];
      dst[to + 2] = image.data[from + 2];
    }
  }
  return { data: dst, width, height };
}
