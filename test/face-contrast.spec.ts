/** Face contrasts: masks from the landmarks, the same pooling in tfjs and ONNX, and train → export → predict/check with them. */
import { BLEND_STATISTICS_COUNT } from "../src/core/face-features/blend-statistics";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import type * as Tfjs from "@tensorflow/tfjs";
import { extractFeaturesTfjs } from "../src/core/backbone/extract-features-tfjs";
import { FACE_CONTRAST_TAPS, OFFLINE_BACKBONE_ID } from "../src/core/backbone/known-backbones";
import { resolveBackbone } from "../src/core/backbone/resolve-backbone";
import { loadBackbone } from "../src/core/backbone/load-backbone";
import { writeOfflineBackbone } from "../src/core/backbone/write-offline-backbone";
import { exportModel } from "../src/core/export/export-model";
import { readRun } from "../src/core/export/read-run";
import { faceRegionGrid, faceRegions } from "../src/core/face-features/face-regions";
import { convertLayersModel } from "../src/core/onnx/convert-layers-model";
import { createOnnxSession, runOnnx } from "../src/core/onnx/onnx-session";
import { loadExport } from "../src/core/predict/load-export";
import { predict } from "../src/core/predict/predict";
import { parseProjectConfig } from "../src/core/project/project-config";
import { drawCropVariation } from "../src/core/reference-data/crop-variation";
import { loadSourceFaces } from "../src/core/reference-data/load-source-faces";
import { renderFaceSample } from "../src/core/reference-data/render-face-sample";
import { createSeededRandom } from "../src/core/shared/seeded-random";
import { INNER_FACE_REGION } from "../src/core/shared/inner-face-window";
import { loadTensorflow } from "../src/core/shared/tensorflow";
import { createSpace } from "../src/core/space/create-space";
import { train } from "../src/core/train/train";
import { assertCheckScoresLikePredict, writeRealFaceProject } from "./support/real-face-project";
import { makeTempDir, removeDir, setEnv } from "./support/temp-dir";

const SIZE = 224;

describe("face contrasts", function () {
  this.timeout(600_000);
  let root: string;
  let restoreEnv: () => void;
  let faces: Awaited<ReturnType<typeof loadSourceFaces>>;

  before(async () => {
    root = await makeTempDir("dds-contrast-");
    restoreEnv = setEnv({ DEEPFAKE_STUDIO_CACHE: path.join(root, "cache") });
    faces = await loadSourceFaces();
  });
  after(async () => {
    restoreEnv();
    await removeDir(root);
  });

  it("marks the inner face (landmarks 17-67) and a ring around it, disjoint; without a face, the crop recipe's window", () => {
    const sample = renderFaceSample({ photos: faces.photos, face: faces.faces[0], variation: drawCropVariation(createSeededRandom(3)), size: SIZE });
    const grid = faceRegionGrid(SIZE);
    assert.equal(grid, 56);
    const masks = faceRegions({ landmarks: sample.landmarks, width: SIZE, height: SIZE, grid });
    const cell = (x: number, y: number) => [masks[Math.floor((y * grid) / SIZE) * grid + Math.floor((x * grid) / SIZE)], masks[grid * grid + Math.floor((y * grid) / SIZE) * grid + Math.floor((x * grid) / SIZE)]];
    const nose = sample.landmarks[30];
    assert.deepEqual(cell(nose.x, nose.y), [1, 0], "the nose tip is in the inner face");
    let inner = 0;
    let ring = 0;
    for (let i = 0; i < grid * grid; i++) {
      assert.ok(masks[i] + masks[grid * grid + i] <= 1, "no cell in both");
      inner += masks[i];
      ring += masks[grid * grid + i];
    }
    assert.ok(inner > 50 && ring > inner * 0.5, `inner ${inner} cells, ring ${ring}`);
    assert.equal(masks[0] + masks[grid * grid], 0, "the corner is neither");
    const fallback = faceRegions({ landmarks: undefined, width: SIZE, height: SIZE, grid });
    const middle = Math.floor(((INNER_FACE_REGION.top + INNER_FACE_REGION.bottom) / 2) * grid) * grid + Math.floor(grid / 2);
    assert.equal(fallback[middle], 1, "no face: the inner-face window of the crop recipe");
    assert.notDeepEqual(fallback, masks);
  });

  it("pools the same numbers in tfjs and in the ONNX graph: the hull's mean minus the ring's, per channel", async () => {
    const tf = await loadTensorflow();
    const offline = resolveBackbone({ backbone: OFFLINE_BACKBONE_ID });
    const spec = { ...offline, taps: FACE_CONTRAST_TAPS.map((tap) => ({ ...tap, pooling: [...tap.pooling] })) };
    const backbone = await loadBackbone({ spec });
    try {
      const samples = faces.faces.slice(0, 3).map((face, k) => renderFaceSample({ photos: faces.photos, face, variation: drawCropVariation(createSeededRandom(11).derive(k)), size: SIZE }));
      const images = new Float32Array(samples.length * SIZE * SIZE * 3);
      samples.forEach((sample, k) => images.set(sample.pixels, k * SIZE * SIZE * 3));
      const grid = faceRegionGrid(SIZE);
      const regions = new Float32Array(samples.length * 2 * grid * grid);
      samples.forEach((sample, k) => regions.set(faceRegions({ landmarks: sample.landmarks, width: SIZE, height: SIZE, grid }), k * 2 * grid * grid));
      const pooled = await extractFeaturesTfjs(backbone, { data: images, count: samples.length, regions });
      assert.equal(pooled.length, samples.length * (144 + 192));

      // By hand from the raw activations: stride 4 reads the masks as they are, stride 8 their 2×2 block averages.
      const raw = tf.tidy(() => backbone.featureModel.predict(tf.tensor4d(images, [samples.length, SIZE, SIZE, 3]).mul(offline.scaling.scale).add(offline.scaling.offset)) as Tfjs.Tensor[]);
      const activations = await Promise.all(raw.map((tensor) => tensor.data()));
      raw.forEach((tensor) => tensor.dispose());
      let largest = 0;
      samples.forEach((_, n) => {
        let offset = 0;
        activations.forEach((values, t) => {
          const side = raw[t].shape[1] as number;
          const channels = raw[t].shape[3] as number;
          const factor = grid / side;
          const weight = (region: number, y: number, x: number) => {
            let sum = 0;
            for (let dy = 0; dy < factor; dy++) for (let dx = 0; dx < factor; dx++) sum += regions[n * 2 * grid * grid + region * grid * grid + (y * factor + dy) * grid + x * factor + dx];
            return sum / (factor * factor);
          };
          for (let c = 0; c < channels; c++) {
            const means = [0, 1].map((region) => {
              let sum = 0;
              let area = 0;
              for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) {
                const w = weight(region, y, x);
                sum += w * values[((n * side + y) * side + x) * channels + c];
                area += w;
              }
              return sum / (area + 1e-6);
            });
            largest = Math.max(largest, Math.abs(pooled[n * (144 + 192) + offset + c] - (means[0] - means[1])));
          }
          offset += channels;
        });
      });
      assert.ok(largest < 1e-4, `tfjs pooling vs by hand: largest difference ${largest}`);

      const bytes = await convertLayersModel({
        model: backbone.model,
        outputs: spec.taps.map((tap) => ({ layerName: tap.layer, pooling: tap.pooling })),
        input: { height: SIZE, width: SIZE, ...offline.scaling },
        faceRegions: { grid, docString: "masks" },
      });
      const session = await createOnnxSession(bytes);
      try {
        const { features } = await runOnnx(session, images, samples.length, SIZE, SIZE, { faceRegions: regions });
        const scale = pooled.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
        const difference = pooled.reduce((max, value, i) => Math.max(max, Math.abs(value - features![i])), 0);
        assert.ok(difference / scale < 1e-4, `ONNX vs tfjs: ${difference} (scale ${scale})`);
        await assert.rejects(runOnnx(session, images, samples.length, SIZE, SIZE), /inner face and the skin around it/);
      } finally {
        await session.release();
      }
    } finally {
      backbone.dispose();
    }
  });

  it("trains with them (the face_regions input), exports a model that checks out, predict and check feed them alike, and the static Space says it cannot", async () => {
    const projectDir = path.join(root, "project");
    const held = await writeRealFaceProject({ projectDir, heldDir: path.join(root, "held"), faces, trainFaces: 12, perFace: 2, heldFaces: 3, seed: 9 });
    const config = parseProjectConfig({ categories: [{ label: "Real" }], train: { selfBlend: "only", selfBlendPerImage: 1, selfBlendSwaps: false, augmentViews: 0, epochs: 2, blendStatistics: true, faceContrast: true } });
    await fs.writeFile(path.join(projectDir, "deepfake-studio.json"), JSON.stringify(config));
    const backbone = await writeOfflineBackbone({ cacheDir: path.join(root, "cache") });
    const trained = await train({ projectDir, config, backbone });
    const { head } = await readRun({ runDir: trained.runDir });
    const contrast = head.preprocess.faceContrast;
    assert.deepEqual([contrast?.count, contrast?.grid], [144 + 192, 56]);
    const record = JSON.parse(await fs.readFile(path.join(trained.runDir, "run.json"), "utf8")) as { backbone: { featureLength: number } };
    assert.equal(head.featureLength, record.backbone.featureLength + 144 + 192 + BLEND_STATISTICS_COUNT, "backbone features, then contrasts, then statistics");
    const exported = await exportModel({ projectDir, config, runId: trained.runId });
    assert.ok(exported.verification.maxProbabilityDifference < 1e-3 && exported.verification.maxFeatureDifference < 1e-3, `ONNX agrees with tfjs + the head: ${JSON.stringify(exported.verification)}`);
    const loaded = await loadExport({ modelDir: exported.outDir });
    const card = await fs.readFile(path.join(exported.outDir, "README.md"), "utf8");
    assert.match(card, /three inputs/);
    assert.match(card, /`face_regions`: float32 `\[N, 2, 56, 56\]`/);
    assert.match(card, /336 face contrasts/);

    const results = await predict({ modelDir: exported.outDir, inputs: held });
    for (const result of results) assert.ok(!("error" in result), `predicted ${result.file}`);
    await assertCheckScoresLikePredict(loaded, held, results);
    await assert.rejects(createSpace({ projectDir, exportDir: exported.outDir }), (error: Error) => {
      assert.match(error.message, /face contrasts/);
      assert.match(`${(error as { hint?: string }).hint ?? ""}`, /train\.faceContrast to false/);
      return true;
    });
  });
});
