/** Blending statistics: they see a pasted, softened face region, only look near the face, and travel through train → export → predict. */
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { writeOfflineBackbone } from "../src/core/backbone/write-offline-backbone";
import { exportModel } from "../src/core/export/export-model";
import { blendStatistics, BLEND_STATISTICS_COUNT } from "../src/core/face-features/blend-statistics";
import { createOnnxSession, runOnnx } from "../src/core/onnx/onnx-session";
import { loadExport } from "../src/core/predict/load-export";
import { predict } from "../src/core/predict/predict";
import { parseProjectConfig } from "../src/core/project/project-config";
import { drawCropVariation } from "../src/core/reference-data/crop-variation";
import { loadSourceFaces } from "../src/core/reference-data/load-source-faces";
import { renderFaceSample } from "../src/core/reference-data/render-face-sample";
import { createSeededRandom } from "../src/core/shared/seeded-random";
import { selfBlend, type SelfBlendRecipe } from "../src/core/synthesize/self-blend";
import { readRun } from "../src/core/export/read-run";
import { train } from "../src/core/train/train";
import { assertCheckScoresLikePredict, writeRealFaceProject } from "./support/real-face-project";
import { createSpace } from "../src/core/space/create-space";
import { listTree, makeTempDir, removeDir, setEnv } from "./support/temp-dir";

const SIZE = 224;
/** A blurred, otherwise unchanged copy pasted over the inner face: the trace of a resampled swap, nothing else. */
const SOFT_PASTE: SelfBlendRecipe = {
  colour: { gain: [1, 1, 1], shift: [0, 0, 0], contrast: 1, hue: 0, saturation: 1 },
  sharpness: -1,
  resample: 1,
  jpegQuality: null,
  geometry: { dx: 0, dy: 0, scale: 1, rotation: 0 },
  mask: { hull: "inner", grow: 0.1, feather: 0.1, warp: { amplitude: 0, phases: [0, 0, 0] }, opacity: 1 },
};

describe("blend statistics", function () {
  this.timeout(600_000);
  let root: string;
  let restoreEnv: () => void;
  let faces: Awaited<ReturnType<typeof loadSourceFaces>>;

  before(async () => {
    root = await makeTempDir("dds-blend-");
    restoreEnv = setEnv({ DEEPFAKE_STUDIO_CACHE: path.join(root, "cache") });
    faces = await loadSourceFaces();
  });
  after(async () => {
    restoreEnv();
    await removeDir(root);
  });

  it("sees a softened inner face (less fine detail inside than around it), and ignores pixels far from the face", async () => {
    const random = createSeededRandom(5);
    let softer = 0;
    for (const [f, face] of faces.faces.slice(0, 6).entries()) {
      const sample = renderFaceSample({ photos: faces.photos, face, variation: { ...drawCropVariation(random.derive(f)), margin: 1.55, offsetX: 0, offsetY: 0, rotation: 0 }, size: SIZE });
      const real = blendStatistics({ pixels: sample.pixels, width: SIZE, height: SIZE, landmarks: sample.landmarks });
      assert.equal(real.length, BLEND_STATISTICS_COUNT);
      assert.ok(real.every(Number.isFinite), "finite numbers");
      assert.deepEqual(blendStatistics({ pixels: sample.pixels, width: SIZE, height: SIZE, landmarks: sample.landmarks }), real, "deterministic");
      const pasted = await selfBlend({ image: { data: sample.pixels, width: SIZE, height: SIZE }, landmarks: sample.landmarks, recipe: SOFT_PASTE });
      const fake = blendStatistics({ pixels: pasted.pixels, width: SIZE, height: SIZE, landmarks: sample.landmarks });
      // [0] = log(fine detail inside / outside the face edge).
      if (fake[0] < real[0] - 0.05) softer += 1;
      // The corners lie outside the outer ring: changing them changes nothing.
      const corners = Uint8Array.from(sample.pixels);
      for (let y = 0; y < 12; y++) for (let x = 0; x < 12; x++) corners.fill(0, (y * SIZE + x) * 3, (y * SIZE + x) * 3 + 3);
      assert.deepEqual(blendStatistics({ pixels: corners, width: SIZE, height: SIZE, landmarks: sample.landmarks }), real, "pixels far from the face do not count");
    }
    assert.ok(softer >= 5, `the softened paste lowered the inner face's fine detail in ${softer}/6 faces`);
  });

  it("trains with them (a second ONNX input), exports a model that checks out, and predict and check measure them alike", async () => {
    const projectDir = path.join(root, "project");
    const held = await writeRealFaceProject({ projectDir, heldDir: path.join(root, "held"), faces, trainFaces: 12, perFace: 3, heldFaces: 4, seed: 9 });
    const config = parseProjectConfig({ categories: [{ label: "Real" }], train: { selfBlend: "only", selfBlendPerImage: 1, selfBlendSwaps: false, augmentViews: 0, epochs: 2, blendStatistics: true } });
    await fs.writeFile(path.join(projectDir, "deepfake-studio.json"), JSON.stringify(config));
    const backbone = await writeOfflineBackbone({ cacheDir: path.join(root, "cache") });
    const trained = await train({ projectDir, config, backbone });
    const { head } = await readRun({ runDir: path.join(projectDir, "runs", trained.runId) });
    assert.equal(head.preprocess.blendStatistics?.count, BLEND_STATISTICS_COUNT);
    const record = JSON.parse(await fs.readFile(path.join(trained.runDir, "run.json"), "utf8")) as { backbone: { featureLength: number } };
    assert.equal(head.featureLength, record.backbone.featureLength + BLEND_STATISTICS_COUNT, "the head reads the backbone's features and the statistics");
    const exported = await exportModel({ projectDir, config, runId: trained.runId });
    const loaded = await loadExport({ modelDir: exported.outDir });
    assert.equal(loaded.preprocess.blendStatistics?.count, BLEND_STATISTICS_COUNT);
    assert.ok(exported.verification.maxProbabilityDifference < 1e-3, "ONNX Runtime agrees with the head's math, statistics included");

    const results = await predict({ modelDir: exported.outDir, inputs: held });
    assert.equal(results.length, held.length);
    for (const result of results) assert.ok(!("error" in result), `predicted ${result.file}`);

    const session = await createOnnxSession(loaded.modelBytes);
    try {
      await assert.rejects(runOnnx(session, new Float32Array(SIZE * SIZE * 3), 1, SIZE, SIZE), /blending statistics/);
    } finally {
      await session.release();
    }
    // check's scorer, given a crop and its face's landmarks, scores it as predict scores the same picture.
    // (A picture whose face predict does not find gets the training average; so does a crop without landmarks.)
    const withFace = await assertCheckScoresLikePredict(loaded, held, results);
    assert.ok(withFace >= 2, `faces found in ${withFace} of ${held.length} held-out crops`);

    // Its static Space finds each picture's face itself (face-crop.js with the studio's search in face-search.js, on
    // face-api, which the README credits with the TensorFlow.js it bundles); it does not crop.
    const space = await createSpace({ projectDir, git: false });
    const files = await listTree(space.spaceDir);
    for (const file of ["blend-statistics.js", "face-crop.js", "face-search.js", "face-api/face-api.esm.js", "face-api/tiny_face_detector_model.bin", "face-api/ssd_mobilenetv1_model.bin", "face-api/face_landmark_68_model.bin"]) assert.ok(files.includes(file), file);
    const readme = await fs.readFile(path.join(space.spaceDir, "README.md"), "utf8");
    assert.match(readme, /\[face-api\]\(https:\/\/github\.com\/vladmandic\/face-api\) \d+\.\d+\.\d+ \(MIT License/);
    assert.match(readme, /\[TensorFlow\.js\]\(https:\/\/www\.tensorflow\.org\/js\) \d+\.\d+\.\d+ \(Apache License 2\.0/);
    assert.doesNotMatch(readme, /Faces only/, "the model does not crop");
  });
});
