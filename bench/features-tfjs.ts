/** Throughput of image → features with the tfjs (WASM) backbone; compared with the ONNX Runtime version. */
import { extractFeaturesTfjs } from "../src/core/backbone/extract-features-tfjs";
import { OFFLINE_BACKBONE_ID } from "../src/core/backbone/known-backbones";
import { loadBackbone } from "../src/core/backbone/load-backbone";
import { resolveBackbone } from "../src/core/backbone/resolve-backbone";

/** Images per predict call, as training uses. */
const BATCH_SIZE = 32;

/** Result of one benchmark run. */
export interface FeaturesBenchResult {
  images: number;
  seconds: number;
  imagesPerSecond: number;
}

/**
 * Extracts features from `count` generated 224×224 images in batches of 32 with the offline backbone (same
 * architecture as the default MobileNetV2 1.00, no network). Loading and one warm-up image are not timed.
 */
export async function benchFeaturesTfjs(count = 64): Promise<FeaturesBenchResult> {
  const backbone = await loadBackbone({ spec: resolveBackbone({ backbone: OFFLINE_BACKBONE_ID }) });
  try {
    const size = backbone.spec.inputSize;
    const perImage = size * size * 3;
    // The first predict compiles kernels and allocates; keep it out of the timing.
    await extractFeaturesTfjs(backbone, { data: generatedImages(1, perImage, 0), count: 1 });
    let seconds = 0;
    for (let done = 0; done < count; done += BATCH_SIZE) {
      const batchCount = Math.min(BATCH_SIZE, count - done);
      const data = generatedImages(batchCount, perImage, done + 1);
      const started = process.hrtime.bigint();
      await extractFeaturesTfjs(backbone, { data, count: batchCount });
      seconds += Number(process.hrtime.bigint() - started) / 1e9;
    }
    return { images: count, seconds, imagesPerSecond: count / seconds };
  } finally {
    backbone.dispose();
  }
}

/** Deterministic pseudo-random RGB values in 0..255 (a small LCG), so every run measures the same input. */
function generatedImages(count: number, perImage: number, seed: number): Float32Array {
  const data = new Float32Array(count * perImage);
  let state = (seed * 2654435761) >>> 0;
  for (let index = 0; index < data.length; index++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    data[index] = state >>> 24;
  }
  return data;
}

if (require.main === module) {
  void benchFeaturesTfjs(Number(process.argv[2]) || undefined).then((result) => console.log(JSON.stringify(result)));
}
