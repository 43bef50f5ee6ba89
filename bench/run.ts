/**
 * `npm run bench`: every benchmark, side by side in one process, printed as Markdown rows for BENCHMARKS.md.
 * Usage: node out/bench/run.js [gather] [features] [train] [check] [cam] [spaceCam] [faces] [faceCrop]   (default: all)
 */
import * as os from "node:os";
import { benchCam, camBenchRows } from "./cam";
import { benchCheck } from "./check";
import { benchFaceCrop } from "./face-crop";
import { benchFaceDataset } from "./face-dataset";
import { benchFeaturesOnnx } from "./features-onnx";
import { benchFeaturesTfjs } from "./features-tfjs";
import { benchGather } from "./gather";
import { benchResizeVerify } from "./resize-verify";
import { benchSpaceCam, spaceCamBenchRows } from "./space-cam";
import { benchTrain } from "./train";

type Bench = () => Promise<string[]>;

const fixed = (value: number, digits = 1) => value.toFixed(digits);

const benches: Record<string, Bench> = {
  async gather() {
    const resize = await benchResizeVerify(200);
    const whole = await benchGather(100);
    return [
      `| resize + verify (processImage), 200 JPEGs of 1000x750 | ${fixed(resize.imagesPerSecond)} img/s | plain sharp resize: ${fixed(resize.sharpOnlyImagesPerSecond)} img/s (ratio ${fixed(resize.imagesPerSecond / resize.sharpOnlyImagesPerSecond, 2)}) |`,
      `| whole gather against local fakes, ${whole.images} images (search + download via proxy + verify + dedupe + manifest) | ${fixed(whole.imagesPerSecond)} img/s | ${fixed(whole.seconds, 2)} s |`,
    ];
  },
  async features() {
    const onnx = await benchFeaturesOnnx(128);
    const tfjs = await benchFeaturesTfjs(64);
    return [
      `| backbone features, onnxruntime-node (${onnx.threads} threads), batch 32 | ${fixed(onnx.imagesPerSecond)} img/s | ${fixed(onnx.imagesPerSecond / tfjs.imagesPerSecond, 1)}x tfjs-wasm |`,
      `| backbone features, tfjs-wasm, batch 32 | ${fixed(tfjs.imagesPerSecond)} img/s | baseline |`,
    ];
  },
  async train() {
    const run = await benchTrain(400);
    const row = (name: string, r: typeof run.emptyCache) =>
      `| train 400 images (${run.augmentViews} augmented views), ${name} | ${fixed(r.seconds, 2)} s | decode ${fixed(r.phases.decode, 2)} s, features ${fixed(r.phases.features, 2)} s (${r.featuresComputed} computed, ${r.featuresCached} cached), head ${fixed(r.phases.head, 2)} s; error_rate ${fixed(r.errorRate, 3)} |`;
    return [row("empty feature cache", run.emptyCache), row("cached features", run.warmCache), `| (fastai resnet18 fine_tune on CPU, from the seed notebook) | ~55 s per epoch | 13.9 % error on ~360 web images |`];
  },
  async check() {
    const r = await benchCheck(60);
    return [`| check, ${r.videoSeconds} s call-like video 640x480 at ${r.fps} fps sampling (${r.frames} frames, ${r.faces} faces), TTA | ${fixed(r.warm.framesPerSecond)} frames/s warm, ${fixed(r.cold.framesPerSecond)} cold | no TTA ${fixed(r.warmNoTta.framesPerSecond)} frames/s; peak RSS ${fixed(r.warm.peakRssMiB, 0)} MiB |`];
  },
  async cam() {
    return camBenchRows(await benchCam(64));
  },
  async spaceCam() {
    return spaceCamBenchRows(await benchSpaceCam(24));
  },
  async faces() {
    const faces = await benchFaceDataset(60);
    return [`| reference face dataset, 60 per class (${faces.sourceFaces} source faces) | ${fixed(faces.imagesPerSecond)} img/s | faces ${fixed(faces.facesSeconds, 2)} s + generate ${fixed(faces.generateSeconds, 2)} s |`];
  },
  async faceCrop() {
    // The video check runs in its own row (check); this one compares stills with the tfjs recipe.
    const r = await benchFaceCrop(60, 0);
    return [
      `| import ${r.pictures} pictures 640x420, faceCrop: true (detect, crop, keep the picture); load ${fixed(r.load.before)}→${fixed(r.load.after)} on ${r.cores} cores | ${fixed(r.faceCrop.imagesPerSecond)} img/s (${r.faceCrop.kept} kept, ${r.faceCrop.noFace} no face) | faceCrop off: ${fixed(r.plain.imagesPerSecond)} img/s (ratio ${fixed(r.ratio, 2)}) |`,
      `| reference set: faces found, crop IoU vs the tfjs recipe | ${r.reference.found}/${r.pictures} found (tfjs ${r.reference.tfjsFound}), IoU ≥ 0.9 on ${r.reference.iouAtLeast09}/${r.reference.compared} | ${fixed(r.reference.msPerPicture, 0)} ms per picture vs tfjs ${fixed(r.reference.tfjsMsPerPicture, 0)} ms |`,
      `| cropLargestFace per 400 px picture, accurate (SSD MobileNet v1) detector | ${fixed(r.detectors.accurate.msPerPicture, 0)} ms (${fixed(r.detectors.accurate.cpuMsPerPicture, 0)} ms CPU), ${r.detectors.accurate.found}/${r.pictures} faces found | fast (Tiny, 416 px): ${fixed(r.detectors.fast.msPerPicture, 0)} ms (${fixed(r.detectors.fast.cpuMsPerPicture, 0)} ms CPU), ${r.detectors.fast.found}/${r.pictures} found |`,
    ];
  },
};

async function main(): Promise<void> {
  const selected = process.argv.slice(2);
  const names = selected.length > 0 ? selected : Object.keys(benches);
  console.log(`Machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? "unknown CPU"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.arch()}`);
  console.log("| benchmark | result | side by side |\n|---|---|---|");
  for (const name of names) {
    const bench = benches[name];
    if (!bench) throw new Error(`Unknown benchmark "${name}"; choose from ${Object.keys(benches).join(", ")}`);
    for (const row of await bench()) console.log(row);
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
