/** Same-person fakes: self-blends keep identity and leave traces only where the mask is; training splits them by source. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, promises as fs } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import type * as FaceApi from "@vladmandic/face-api/dist/face-api.node-wasm";
import sharp from "sharp";
import { writeOfflineBackbone } from "../src/core/backbone/write-offline-backbone";
import { readRun } from "../src/core/export/read-run";
import { renderModelCard } from "../src/core/export/render-model-card";
import { parseProjectConfig } from "../src/core/project/project-config";
import { buildFaceDataset } from "../src/core/reference-data/build-face-dataset";
import type { FaceBox, FacePoint } from "../src/core/face-nets/detect-faces";
import { loadFaceApi } from "../src/core/face-nets/load-face-api";
import { createSeededRandom } from "../src/core/shared/seeded-random";
import { loadTensorflow } from "../src/core/shared/tensorflow";
import { drawSelfBlendRecipe, selfBlend } from "../src/core/synthesize/self-blend";
import { detectLargestFace } from "../src/core/face-features/face-landmarks";
import { synthesizeFakes } from "../src/core/synthesize/synthesize-fakes";
import { describeBlendSensitivity, describeHeldOutThreshold, synthesizedOnlySpaceNote, synthesizedOnlyWarning } from "../src/core/synthesize/blend-sensitivity";
import { exportModel } from "../src/core/export/export-model";
import { thresholdForFpr } from "../src/core/shared/threshold-for-fpr";
import { TEST_TIME_VIEWS } from "../src/core/shared/test-time-views";
import { predict } from "../src/core/predict/predict";
import { createSpace } from "../src/core/space/create-space";
import { runViewOf } from "../src/extension/webviews/run-view";
import { openWebviewBundle } from "./support/webview-harness";
import { prepareTrainingData } from "../src/core/train/prepare-training-data";
import type { RunMetrics, RunPrediction } from "../src/core/train/run-files";
import { train } from "../src/core/train/train";
import { listTree, makeTempDir, removeDir, setEnv } from "./support/temp-dir";

const run = promisify(execFile);
const CLI = path.resolve(__dirname, "..", "src", "cli", "main.js");
/** face-api's own threshold: descriptors closer than this are the same person. */
const SAME_PERSON = 0.6;

interface Picture {
  data: Uint8Array;
  width: number;
  height: number;
}

async function decode(file: string): Promise<Picture> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

/** face-api's 128-number recognition descriptor of the face in `box` (the same box for a picture and its blends). */
async function descriptor(picture: Picture, box: { x: number; y: number; width: number; height: number }): Promise<Float32Array> {
  const faceapi = await loadFaceApi(["faceRecognitionNet"]);
  const tf = await loadTensorflow();
  const input = tf.tensor3d(picture.data, [picture.height, picture.width, 3], "int32");
  try {
    const [face] = await faceapi.extractFaceTensors(input as unknown as FaceApi.tf.Tensor3D, [new faceapi.Rect(box.x, box.y, box.width, box.height)]);
    try {
      return (await faceapi.computeFaceDescriptor(face)) as Float32Array;
    } finally {
      face.dispose();
    }
  } finally {
    input.dispose();
  }
}

function distance(a: Float32Array, b: Float32Array): number {
  return Math.sqrt(a.reduce((sum, value, i) => sum + (value - b[i]) ** 2, 0));
}

describe("synthesize: same-person fakes", function () {
  this.timeout(300_000);
  let root: string;
  let reals: string[];
  let restoreEnv: () => void;

  before(async () => {
    root = await makeTempDir("dds-synth-");
    restoreEnv = setEnv({ DEEPFAKE_STUDIO_CACHE: path.join(root, "cache") });
    const built = await buildFaceDataset({ outDir: path.join(root, "reference"), perClass: 12, seed: 3 });
    reals = built.items.filter((item) => item.label === "Real").map((item) => item.file);
  });
  after(async () => {
    restoreEnv();
    await removeDir(root);
  });

  it("keeps the person (face-api descriptor distance < 0.6), changes pixels inside the mask and none outside, the same for a seed", async () => {
    const distances: number[] = [];
    const withFace: Array<{ picture: Picture; landmarks: FacePoint[]; box: FaceBox }> = [];
    for (const file of reals) {
      const picture = await decode(file);
      const face = await detectLargestFace(picture);
      if (face) withFace.push({ picture, landmarks: face.landmarks, box: face.box });
      if (withFace.length === 4) break;
    }
    assert.equal(withFace.length, 4, "faces found in the reference crops");
    for (const [n, { picture, landmarks, box }] of withFace.entries()) {
      const faces = [{ landmarks }];
      const original = await descriptor(picture, box);
      for (let k = 0; k < 2; k++) {
        const recipe = drawSelfBlendRecipe(createSeededRandom(11).derive(n, k));
        assert.deepEqual(recipe, drawSelfBlendRecipe(createSeededRandom(11).derive(n, k)));
        const blended = await selfBlend({ image: picture, landmarks: faces[0].landmarks, recipe });
        const again = await selfBlend({ image: picture, landmarks: faces[0].landmarks, recipe });
        assert.ok(Buffer.from(blended.pixels).equals(Buffer.from(again.pixels)), "same recipe, same pixels");
        const { area, values } = blended.mask;
        let inside = 0;
        let insideCount = 0;
        for (let y = 0; y < picture.height; y++) {
          for (let x = 0; x < picture.width; x++) {
            const inArea = x >= area.x && x < area.x + area.width && y >= area.y && y < area.y + area.height;
            const m = inArea ? values[(y - area.y) * area.width + (x - area.x)] : 0;
            const at = (y * picture.width + x) * 3;
            const diff = (Math.abs(blended.pixels[at] - picture.data[at]) + Math.abs(blended.pixels[at + 1] - picture.data[at + 1]) + Math.abs(blended.pixels[at + 2] - picture.data[at + 2])) / 3;
            if (m === 0) assert.equal(diff, 0, `pixel ${x},${y} changed outside the mask`);
            if (m > 0.5) {
              inside += diff;
              insideCount += 1;
            }
          }
        }
        assert.ok(insideCount > 500, `mask too small: ${insideCount} px`);
        assert.ok(inside / insideCount > 1.5, `mean change inside the mask only ${(inside / insideCount).toFixed(2)} levels (recipe ${JSON.stringify(recipe)})`);
        distances.push(distance(original, await descriptor({ ...picture, data: blended.pixels }, box)));
      }
    }
    console.log(`      descriptor distance blend→source: max ${Math.max(...distances).toFixed(3)}, mean ${(distances.reduce((a, b) => a + b, 0) / distances.length).toFixed(3)}`);
    assert.ok(distances.every((d) => d < SAME_PERSON), `distances ${distances.map((d) => d.toFixed(3)).join(", ")}`);
  });

  it("caches by content: a second run makes nothing and returns the same files; a same-person swap pairs two pictures of one group", async () => {
    const projectDir = path.join(root, "cache-project");
    const sources = reals.slice(0, 4).map((file) => ({ file, group: "Real\ntrain" }));
    const first = await synthesizeFakes({ projectDir, sources, perImage: 2, seed: 5 });
    const faces = sources.length - first.skipped.length;
    assert.ok(faces >= 2, `faces in ${faces} of ${sources.length} pictures`);
    assert.equal(first.fakes.length, faces * 3, "2 self-blends + 1 swap per picture with a face");
    assert.equal(first.cache.made, faces * 3);
    assert.ok(first.skipped.every((entry) => entry.reason === "no face found"));
    const second = await synthesizeFakes({ projectDir, sources, perImage: 2, seed: 5 });
    assert.equal(second.cache.hits, faces * 3);
    assert.equal(second.cache.made, 0);
    assert.deepEqual(second.fakes.map((fake) => fake.file), first.fakes.map((fake) => fake.file));
    for (const swap of first.fakes.filter((fake) => fake.kind === "same-person-swap")) {
      assert.ok(swap.donor && swap.donor.sha256 !== swap.source.sha256 && sources.some((s) => s.file === swap.donor!.file));
    }
    const other = await synthesizeFakes({ projectDir, sources: sources.slice(0, 1), perImage: 1, seed: 6 });
    assert.notEqual(other.fakes[0].file, first.fakes[0].file, "another seed, another output");
  });

  it("puts every synthesized fake in the split of its source (no self-blend of a validation picture in training)", async () => {
    const projectDir = path.join(root, "split-project");
    await copyInto(reals, path.join(projectDir, "data", "Real"));
    const config = parseProjectConfig({ categories: [{ label: "Real" }], train: { selfBlend: "only", augmentViews: 0, validPct: 0.25 } });
    const backbone = await writeOfflineBackbone({ cacheDir: path.join(root, "cache") });
    const data = await prepareTrainingData({ projectDir, config, backbone });
    assert.deepEqual(data.labels, ["Real", "Deepfake"]);
    const splitOf = new Map(data.items.filter((item) => !item.synthetic).map((item) => [item.relative, item.split]));
    const synthetic = data.items.filter((item) => item.synthetic);
    assert.ok(synthetic.length >= (reals.length - 3) * 2, `${synthetic.length} synthesized`);
    for (const item of synthetic) {
      assert.equal(item.label, "Deepfake");
      assert.equal(item.split, splitOf.get(item.synthetic!.source), `${item.relative} is not in its source's split`);
    }
    assert.ok(synthetic.some((item) => item.split === "valid") && synthetic.some((item) => item.split === "train"));
    assert.ok(synthetic.some((item) => item.synthetic!.kind === "same-person-swap"));
    assert.equal(data.probes.rows.length, synthetic.filter((item) => item.split === "valid" && item.synthetic!.kind === "self-blend").length);
    // A synthesized-only model scores pictures over its test-time views: every validation picture, the self-blends
    // whose share the run reports among them, has a row for each; training pictures have their augmented views only.
    for (const row of data.probes.rows) assert.equal(data.viewsOfRow.get(row)?.length, TEST_TIME_VIEWS.length, `probe row ${row}`);
    for (const item of data.items) assert.equal(item.rows.length, item.split === "valid" ? TEST_TIME_VIEWS.length : 1, item.relative);
  });

  it("trains a project that has only a Real category with selfBlend \"only\", and reports the same-person blends it catches", async () => {
    const projectDir = path.join(root, "only-project");
    await copyInto(reals, path.join(projectDir, "data", "Real"));
    await fs.writeFile(path.join(projectDir, "deepfake-studio.json"), JSON.stringify({ categories: [{ label: "Real" }], train: { selfBlend: "only", augmentViews: 1, epochs: 4 } }));
    const backbone = await writeOfflineBackbone({ cacheDir: path.join(root, "cache") });
    const config = parseProjectConfig(JSON.parse(await fs.readFile(path.join(projectDir, "deepfake-studio.json"), "utf8")));
    const result = await train({ projectDir, config, backbone });
    const metrics = JSON.parse(await fs.readFile(path.join(result.runDir, "metrics.json"), "utf8")) as RunMetrics;
    assert.equal(metrics.synthesized?.mode, "only");
    assert.ok((metrics.synthesized?.train.Deepfake ?? 0) > 0 && (metrics.synthesized?.valid.Deepfake ?? 0) > 0);
    assert.ok(metrics.sameIdentityBlends && metrics.sameIdentityBlends.scored > 0 && metrics.sameIdentityBlends.share !== null);
    assert.equal(metrics.sameIdentityBlends.fakeLabel, "Deepfake");
    const predictions = JSON.parse(await fs.readFile(path.join(result.runDir, "predictions.json"), "utf8")) as RunPrediction[];
    assert.equal(predictions.length, reals.length, "predictions.json lists the data folder's files only");
    assert.ok(predictions.every((prediction) => prediction.file.startsWith("Real/") && !prediction.file.includes("#")));
    // Synthesized fakes are easier than real swaps: the decision threshold is set on the held-out real pictures when that
    // is more sensitive than the arg-max (test/held-out-threshold.spec.ts has both cases; this small project's held-out
    // faces are strangers to it and score high, so it may keep the arg-max).
    const validReal = predictions.filter((prediction) => prediction.split === "valid").map((prediction) => prediction.probabilities.Deepfake);
    const forFpr = thresholdForFpr({ scores: validReal, positives: validReal.map(() => false), maxFpr: 0.05 }).threshold;
    const held = metrics.heldOutThreshold;
    assert.equal(held?.threshold, forFpr < 0.5 ? forFpr : undefined, `held-out real pictures scored ${validReal.join(", ")}`);
    if (held) assert.deepEqual({ label: held.label, realPictures: held.realPictures, maxFpr: held.maxFpr }, { label: "Deepfake", realPictures: validReal.length, maxFpr: 0.05 });
    assert.equal(metrics.sameIdentityBlends.threshold, held?.threshold, "the blend share is measured where the export will decide");
    // The model card states it, from metrics.json as export reads it.
    const { head, metrics: read } = await readRun({ runDir: result.runDir });
    const card = renderModelCard({ runId: result.runId, head, metrics: read, verification: { images: 1, maxProbabilityDifference: 0, maxFeatureDifference: 0 }, exportedAt: "now" });
    assert.match(card, new RegExp(`the model calls \\*\\*${(metrics.sameIdentityBlends.share! * 100).toFixed(1)}%\\*\\* of same-person blends fake \\(${metrics.sameIdentityBlends.flagged} of ${metrics.sameIdentityBlends.scored} self-blends`));
    assert.match(card, /Training added \d+ same-person fakes synthesized from the real training pictures \(train\.selfBlend "only"/);
    assert.match(card, /\*\*Test-time views\.\*\* The model scores each picture 4 times, as it is, mirrored, and both zoomed into the centre/);
    // The share is measured on the kind of fake the run learned: every place that shows it says what it does not show.
    const warning = synthesizedOnlyWarning(metrics)!;
    assert.match(warning, /^Warning: every fake this model trained on was synthesized .* reached 82 % balanced accuracy on swaps pasted from a swap tool's 128-pixel output \(75–95 % .* only 68 % \(57–83 %\) on crude swaps/);
    assert.ok(card.includes(`**Warning:** ${warning.slice("Warning: ".length)}`), card);
    const violations: string[] = [];
    const webview = await openWebviewBundle({ dir: await fs.mkdtemp(path.join(root, "panel-")), bundle: "training.js", style: "training.css", violations });
    try {
      await webview.page.evaluate((message) => window.postMessage(message, "*"), { type: "training/run", run: runViewOf(metrics) });
      const section = webview.page.locator("#same-person-blends");
      await section.waitFor({ timeout: 10_000 });
      assert.equal(await section.locator("p").first().textContent(), describeBlendSensitivity(metrics.sameIdentityBlends));
      assert.equal(await section.locator("p.error").textContent(), warning);
      if (held) assert.equal(await section.locator("p.notice").textContent(), describeHeldOutThreshold(held));
      assert.match((await webview.page.textContent("#blend-share")) ?? "", /^catches \d+\.\d% of same-person blends$/);
      assert.deepEqual(violations, []);
    } finally {
      await webview.browser.close();
    }
    const exportDir = path.join(projectDir, "export");
    const exported = await exportModel({ projectDir, config, runId: result.runId, outDir: exportDir });
    // Export records that threshold unless told otherwise; predict, check and the Space decide with it.
    const expectedDecision = held ? { label: "Deepfake", threshold: held.threshold, method: "held-out-reals", maxFpr: 0.05, validation: { realPictures: held.realPictures, fpr: held.fpr } } : undefined;
    assert.deepEqual(exported.decision, expectedDecision);
    assert.deepEqual((JSON.parse(await fs.readFile(path.join(exportDir, "preprocess.json"), "utf8")) as { decision?: unknown }).decision, expectedDecision);
    // Such a model scores each picture over its test-time views, inside model.onnx; training scored its validation
    // pictures the same way, so predict on them gives what predictions.json says (the threshold was set on those scores).
    const preprocessJson = JSON.parse(await fs.readFile(path.join(exportDir, "preprocess.json"), "utf8")) as { testTimeViews?: { views: unknown[] } };
    assert.deepEqual(preprocessJson.testTimeViews?.views, TEST_TIME_VIEWS.map((view) => ({ ...view })));
    const validPictures = predictions.filter((prediction) => prediction.split === "valid");
    const predicted = await predict({ modelDir: exportDir, inputs: validPictures.map((prediction) => path.join(projectDir, "data", prediction.file)) });
    predicted.forEach((outcome, i) => {
      assert.ok(!("error" in outcome), JSON.stringify(outcome));
      const difference = Math.abs((outcome as { probabilities: Record<string, number> }).probabilities.Deepfake - validPictures[i].probabilities.Deepfake);
      assert.ok(difference < 2e-3, `${validPictures[i].file}: predict ${JSON.stringify(outcome)} against predictions.json ${validPictures[i].probabilities.Deepfake}`);
    });
    const byHand = await exportModel({ projectDir, config, runId: result.runId, outDir: path.join(projectDir, "export-by-hand"), decision: { threshold: 0.5 } });
    assert.equal(byHand.decision?.method, "given", "--threshold replaces the run's own threshold");
    const space = await createSpace({ projectDir, exportDir, git: false });
    const manifest = JSON.parse(await fs.readFile(path.join(space.spaceDir, "space.json"), "utf8")) as { sameIdentityBlends?: { synthesizedOnly?: string } };
    // The page shows this note as it is (test/space-face-crop.spec.ts): the same figures as the warning, for its visitors.
    assert.equal(manifest.sameIdentityBlends?.synthesizedOnly, synthesizedOnlySpaceNote());
    assert.ok(synthesizedOnlySpaceNote().includes(warning.slice(warning.indexOf("n same-person face swaps"), warning.indexOf("; BENCHMARKS.md"))), "the note quotes the warning's measured figures word for word");
    // The second run, from the command line, reads every synthesized picture and feature back from the caches, and warns in its summary.
    const { stdout } = await run(process.execPath, [CLI, "-C", projectDir, "train", "--backbone", backbone], { env: process.env });
    assert.match(stdout, /features \d+ cached, 0 computed/);
    assert.ok(stdout.includes(`\n${warning}\n`), stdout);
  });

  it("prunes the same-person fakes, face records and blending statistics of pictures that left the dataset a week ago, keeping recent ones and those in use", async () => {
    const projectDir = path.join(root, "prune-project");
    const dataDir = path.join(projectDir, "data", "Real");
    await copyInto(reals, dataDir);
    const config = parseProjectConfig({ categories: [{ label: "Real" }], train: { selfBlend: "only", blendStatistics: true, augmentViews: 0, epochs: 1 } });
    const backbone = await writeOfflineBackbone({ cacheDir: path.join(root, "cache") });
    await train({ projectDir, config, backbone });
    const state = path.join(projectDir, ".deepfake-studio");
    const entries = async () => (await listTree(state)).filter((file) => /^(synthesized|blend-statistics)\//.test(file));
    const before = await entries();
    const shaOf = async (name: string) => createHash("sha256").update(await fs.readFile(path.join(dataDir, name))).digest("hex");
    const names = (await fs.readdir(dataDir)).sort();
    const shas = new Map(await Promise.all(names.map(async (name) => [name, await shaOf(name)] as const)));
    const of = (sha: string) => before.filter((file) => path.basename(file).startsWith(sha));
    // Two pictures with a face (so self-blends of them exist) leave the dataset: one (as if) eight days ago, one just now.
    const [gone, recent] = names.filter((name) => of(shas.get(name)!).some((file) => file.endsWith(".png")));
    const [goneSha, recentSha] = [shas.get(gone)!, shas.get(recent)!];
    assert.ok(of(goneSha).some((file) => file.startsWith("blend-statistics/")) && of(goneSha).some((file) => file.endsWith("-face.json")), of(goneSha).join(", "));
    await fs.rm(path.join(dataDir, gone));
    await fs.rm(path.join(dataDir, recent));
    const eightDaysAgo = new Date(Date.now() - 8 * 24 * 3600 * 1000);
    for (const file of of(goneSha)) await fs.utimes(path.join(state, file), eightDaysAgo, eightDaysAgo);
    // A week-old temp file of a killed write goes too.
    const temp = path.join(state, path.dirname(of(goneSha)[0]), "left-by-a-killed-run.json.4321.tmp");
    await fs.writeFile(temp, "{");
    await fs.utimes(temp, eightDaysAgo, eightDaysAgo);

    const progress: string[] = [];
    await train({ projectDir, config, backbone, onProgress: (event) => event.event === "phase" && progress.push(event.message) });
    const after = await entries();
    const removed = before.filter((file) => !after.includes(file));
    assert.deepEqual(removed.sort(), of(goneSha).sort(), "exactly the week-old entries of the picture that left");
    assert.ok(!(await fs.access(temp).then(() => true, () => false)), "the old temp file is gone");
    assert.ok(of(recentSha).every((file) => after.includes(file)), "the recently removed picture's entries stay (an undo is cheap)");
    const said = new RegExp(`^Removed ${removed.length + 1} cached same-person fake\\(s\\), face record\\(s\\), blending statistics and face contrasts \\([\\d.]+ MB\\) of images no longer in the dataset\\.$`);
    assert.ok(progress.some((message) => said.test(message)), progress.join("\n"));
  });

  it("measures same-person blends in a run without selfBlend too, and refuses a single category without \"only\"", async () => {
    const projectDir = path.join(root, "off-project");
    await copyInto(reals.slice(0, 8), path.join(projectDir, "data", "Real"));
    const fakes = (await fs.readdir(path.join(root, "reference", "Deepfake"))).sort().slice(0, 8).map((name) => path.join(root, "reference", "Deepfake", name));
    await copyInto(fakes, path.join(projectDir, "data", "Deepfake"));
    const config = parseProjectConfig({ categories: [{ label: "Real" }, { label: "Deepfake" }], train: { selfBlend: "off", augmentViews: 0, epochs: 2, validPct: 0.25 } });
    const backbone = await writeOfflineBackbone({ cacheDir: path.join(root, "cache") });
    const result = await train({ projectDir, config, backbone });
    assert.equal(result.metrics.synthesized?.mode, "off");
    assert.equal((result.metrics.synthesized?.train.Deepfake ?? 0) + (result.metrics.synthesized?.valid.Deepfake ?? 0), 0, "off trains on the folders as they are");
    assert.ok(result.metrics.sameIdentityBlends!.scored > 0, JSON.stringify(result.metrics.sameIdentityBlends));
    assert.equal(sumAll(result.metrics.counts.valid) + sumAll(result.metrics.counts.train), 16);
    await fs.writeFile(path.join(projectDir, "deepfake-studio.json"), JSON.stringify(config));
    const { stdout } = await run(process.execPath, [CLI, "-C", projectDir, "train", "-e", "1", "--backbone", backbone], { env: process.env });
    assert.match(stdout, /catches \d+ % of same-person blends \(\d+ of \d+ self-blends of validation real pictures called "Deepfake"\)/);
    assert.doesNotMatch(stdout, /Warning: every fake this model trained on was synthesized/, "a run with fakes of its own gets no such warning");
    assert.throws(() => parseProjectConfig({ categories: [{ label: "Real" }] }), /needs at least two categories to tell apart \(or one category of real pictures with train\.selfBlend "only"\)/);
  });

  it("`deepfake-studio synthesize` writes the fakes and their provenance (source path + sha256, transforms, seed, mask)", async () => {
    const projectDir = path.join(root, "cli-project");
    await copyInto(reals.slice(0, 3), path.join(projectDir, "data", "Real"));
    await fs.writeFile(path.join(projectDir, "deepfake-studio.json"), JSON.stringify({ categories: [{ label: "Real" }, { label: "Deepfake" }] }));
    const out = path.join(root, "synth-out");
    const { stdout } = await run(process.execPath, [CLI, "-C", projectDir, "synthesize", "-o", out, "-n", "2", "--json"], { env: process.env });
    const result = JSON.parse(stdout) as { outDir: string; written: number; provenance: string; skipped: Array<{ file: string; reason: string }> };
    const faces = 3 - result.skipped.length;
    assert.ok(faces >= 2 && result.skipped.every((entry) => entry.file.startsWith("data/Real/") && entry.reason === "no face found"), JSON.stringify(result.skipped));
    assert.equal(result.written, faces * 3);
    const lines = (await fs.readFile(path.join(out, "provenance.jsonl"), "utf8")).trim().split("\n").map((line) => JSON.parse(line) as Record<string, any>);
    assert.equal(lines.length, faces * 3);
    for (const line of lines) {
      assert.ok(existsSync(path.join(out, line.file)), line.file);
      assert.match(line.source.sha256, /^[0-9a-f]{64}$/);
      assert.match(line.source.path, /^data\/Real\//);
      assert.equal(line.seed, 42);
      if (line.kind === "self-blend") assert.ok(line.recipe.mask.hull && line.recipe.colour && typeof line.recipe.sharpness === "number");
      else assert.ok(line.donor.path && line.donor.sha256);
    }
    const { stdout: text } = await run(process.execPath, [CLI, "-C", projectDir, "synthesize", "-o", out, "-n", "1"], { env: process.env });
    assert.match(text, new RegExp(`Wrote ${faces * 2} same-person fake`));
    assert.equal((await fs.readFile(path.join(out, "provenance.jsonl"), "utf8")).trim().split("\n").length, faces * 2, "a re-run replaces its own earlier output");
    assert.equal((await fs.readdir(path.join(out, "Real"))).length, faces * 2, "and its pictures");
  });
});

async function copyInto(files: readonly string[], dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  for (const file of files) await fs.copyFile(file, path.join(dir, path.basename(file)));
}

function sumAll(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}
