/**
 * Throughput of feature extraction with onnxruntime-node on the nsfwjs MobileNetV2 (224x224, batch 32,
 * taps block_6_expand_relu + block_13_expand_relu, avg+max pooled): the number to put beside tfjs-wasm's.
 * Run alone with: node out/bench/features-onnx.js [count]
 */
import { convertLayersModel, createOnnxSession, runOnnx, type FeatureTap } from "../src/core/onnx";
import { loadTensorflow } from "../src/core/shared/tensorflow";
import { loadNsfwMobileNet } from "./load-nsfw-mobilenet";

const SIZE = 224;
const BATCH = 32;
const TAPS: FeatureTap[] = [
  { layerName: "block_6_expand_relu", pooling: ["avg", "max"] },
  { layerName: "block_13_expand_relu", pooling: ["avg", "max"] },
];

export interface FeaturesBenchResult {
  images: number;
  seconds: number;
  imagesPerSecond: number;
  threads: number;
}

/** Converts the backbone, warms up one batch, then times ceil(count / 32) batches of random 0..255 images. */
export async function benchFeaturesOnnx(count = 128): Promise<FeaturesBenchResult> {
  const tf = await loadTensorflow();
  const model = await loadNsfwMobileNet(tf);
  // nsfwjs feeds its MobileNetV2 x / 255.
  const bytes = await convertLayersModel({ model, outputs: TAPS, input: { height: SIZE, width: SIZE, scale: 1 / 255, offset: 0 } });
  model.dispose();
  const session = await createOnnxSession(bytes);
  try {
    const batch = Float32Array.from({ length: BATCH * SIZE * SIZE * 3 }, (_, i) => (i * 2654435761) % 256);
    await runOnnx(session, batch, BATCH, SIZE, SIZE);
    const batches = Math.max(1, Math.ceil(count / BATCH));
    const started = process.hrtime.bigint();
    for (let i = 0; i < batches; i++) await runOnnx(session, batch, BATCH, SIZE, SIZE);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const images = batches * BATCH;
    return { images, seconds, imagesPerSecond: images / seconds, threads: session.threads };
  } finally {
    await session.release();
  }
}

if (require.main === module) {
  benchFeaturesOnnx(Number(process.argv[2] ?? 128)).then(
    (result) => console.log(JSON.stringify(result)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
