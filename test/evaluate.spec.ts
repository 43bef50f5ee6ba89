/**
 * `evaluate`: the measures against reference computations (AUC vs a brute-force pairwise count with ties, the
 * bootstrap interval, the threshold for a false-positive rate, ECE by hand), then the CLI end to end on a small real
 * export (test/fixtures/fake-export.ts) with a folder of labelled pictures: report files, numbers equal to predict's
 * probabilities, unreadable pictures listed, refusals; and an export's decision threshold honoured by predict and check.
 */
import { strict as assert } from "node:assert";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import sharp from "sharp";
import { checkMedia } from "../src/core/check/check-media";
import type { MediaCheck } from "../src/core/check/check-types";
import { bootstrapAucInterval } from "../src/core/evaluate/bootstrap-interval";
import { calibration } from "../src/core/evaluate/calibration";
import type { Evaluation } from "../src/core/evaluate/evaluation-types";
import { rocAuc } from "../src/core/evaluate/roc-auc";
import { rocCurve } from "../src/core/evaluate/roc-curve";
import { thresholdForFpr } from "../src/core/shared/threshold-for-fpr";
import type { DecisionThreshold } from "../src/core/export/export-format";
import { loadExport } from "../src/core/predict/load-export";
import { predict, type Prediction } from "../src/core/predict/predict";
import { InvalidExportError } from "../src/core/predict/predict-errors";
import { createSeededRandom } from "../src/core/shared/seeded-random";
import { CancelledError, StudioError } from "../src/core/shared/errors";
import { evaluateFolder } from "../src/core/evaluate/evaluate-folder";
import { makeFakeProject, type FakeProject } from "./fixtures/fake-export";
import { faceApiSamples } from "./fixtures/fake-run";
import { runCli } from "./support/run-cli";
import { makeTempDir, removeDir } from "./support/temp-dir";



/** Random scores on a coarse grid (so there are many ties) and classes, from a seed. */
function randomData(seed: number, count: number, separation = 0.2): { scores: number[]; positives: boolean[] } {
  const random = createSeededRandom(seed);
  const positives = Array.from({ length: count }, (_, i) => i % 3 === 0 || random.chance(0.2));
  const scores = positives.map((positive) => Math.min(1, Math.max(0, Math.round((random.next() * 0.8 + (positive ? separation : 0)) * 20) / 20)));
  return { scores, positives };
}

/** The AUC by definition: every fake/real pair, 1 when the fake scores higher, 0.5 on a tie. */
function bruteForceAuc(scores: number[], positives: boolean[]): number {
  let sum = 0;
  let pairs = 0;
  scores.forEach((p, i) => {
    if (!positives[i]) return;
    scores.forEach((n, j) => {
      if (positives[j]) return;
      pairs += 1;
      sum += p > n ? 1 : p === n ? 0.5 : 0;
    });
  });
  return sum / pairs;
}

describe("evaluate: measures", () => {
  it("ROC AUC equals a brute-force pairwise count on random scores with ties (ties count one half)", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { scores, positives } = randomData(seed, 120 + seed * 7);
      assert.ok(new Set(scores).size < scores.length / 3, "the data has many ties");
      const expected = bruteForceAuc(scores, positives);
      assert.ok(Math.abs(rocAuc({ scores, positives }) - expected) < 1e-12, `seed ${seed}: ${rocAuc({ scores, positives })} vs ${expected}`);
    }
    // All tied: exactly chance.
    assert.equal(rocAuc({ scores: [0.3, 0.3, 0.3, 0.3], positives: [true, false, true, false] }), 0.5);
    assert.equal(rocAuc({ scores: [0.9, 0.8, 0.2, 0.1], positives: [true, true, false, false] }), 1);
  });

  it("draws the ROC curve from (0, 0) to (1, 1) with the AUC as its area", () => {
    const { scores, positives } = randomData(9, 200);
    const points = rocCurve({ scores, positives });
    assert.deepEqual([points[0].fpr, points[0].tpr], [0, 0]);
    assert.deepEqual([points[points.length - 1].fpr, points[points.length - 1].tpr], [1, 1]);
    let area = 0;
    for (let i = 1; i < points.length; i++) area += (points[i].fpr - points[i - 1].fpr) * (points[i].tpr + points[i - 1].tpr) / 2;
    assert.ok(Math.abs(area - rocAuc({ scores, positives })) < 1e-12);
  });

  it("gives a bootstrap interval that contains the AUC, is the same for the same seed and narrows with more data", () => {
    const small = randomData(11, 60);
    const large = randomData(11, 1200);
    const a = bootstrapAucInterval({ ...small, resamples: 2000, seed: 7 });
    const b = bootstrapAucInterval({ ...small, resamples: 2000, seed: 7 });
    const c = bootstrapAucInterval({ ...small, resamples: 2000, seed: 8 });
    assert.deepEqual(a, b, "reproducible for a seed");
    assert.notDeepEqual([a.low, a.high], [c.low, c.high], "another seed, other resamples");
    const auc = rocAuc(small);
    assert.ok(a.low <= auc && auc <= a.high, `${a.low} ≤ ${auc} ≤ ${a.high}`);
    const wide = bootstrapAucInterval({ ...large, resamples: 2000, seed: 7 });
    const largeAuc = rocAuc(large);
    assert.ok(wide.low <= largeAuc && largeAuc <= wide.high);
    assert.ok(wide.high - wide.low < (a.high - a.low) / 2, `20x the data: ${wide.high - wide.low} vs ${a.high - a.low}`);
    assert.equal(a.level, 0.95);
  });

  it("finds the lowest threshold whose false-positive rate on the data stays within the target", () => {
    for (const seed of [21, 22, 23]) {
      const { scores, positives } = randomData(seed, 300, 0.3);
      for (const maxFpr of [0, 0.01, 0.05, 0.1, 0.3]) {
        const chosen = thresholdForFpr({ scores, positives, maxFpr });
        const negatives = scores.filter((_, i) => !positives[i]);
        const fpr = negatives.filter((score) => score >= chosen.threshold).length / negatives.length;
        assert.ok(fpr <= maxFpr + 1e-12, `seed ${seed}, target ${maxFpr}: FPR ${fpr}`);
        assert.equal(chosen.fpr, fpr);
        // Any lower observed score would flag too many real pictures: the threshold is the most sensitive allowed.
        const lower = Math.max(...scores.filter((score) => score < chosen.threshold), -1);
        if (lower >= 0) assert.ok(negatives.filter((score) => score >= lower).length / negatives.length > maxFpr, `seed ${seed}, target ${maxFpr}: ${lower} would do`);
      }
    }
  });

  it("computes the expected calibration error of a hand-worked example", () => {
    // Bins of 0.1: [0.05] 0 fake → gap 0.05; [0.15, 0.15] 1 of 2 fake → gap 0.35; [0.85] fake → 0.15; [0.95] fake → 0.05.
    // ECE = (1·0.05 + 2·0.35 + 1·0.15 + 1·0.05) / 5 = 0.19.
    const result = calibration({ scores: [0.05, 0.15, 0.15, 0.85, 0.95], positives: [false, false, true, true, true], bins: 10 });
    assert.ok(Math.abs(result.ece - 0.19) < 1e-12, String(result.ece));
    assert.ok(Math.abs(result.maxGap - 0.35) < 1e-12);
    assert.equal(result.bins.length, 10);
    assert.deepEqual(result.bins.map((bin) => bin.count), [1, 2, 0, 0, 0, 0, 0, 0, 1, 1]);
    assert.equal(result.bins[2].meanScore, null);
    // A score of exactly 1 falls in the last bin.
    assert.equal(calibration({ scores: [1], positives: [true] }).bins[9].count, 1);
  });

  it("reports bootstrap progress and stops when cancelled", () => {
    const data = randomData(31, 100);
    const events: number[] = [];
    bootstrapAucInterval({ ...data, resamples: 300, onProgress: (event) => event.event === "progress" && events.push(event.done) });
    assert.deepEqual(events, [0, 100, 200, 300]);
    const controller = new AbortController();
    controller.abort();
    assert.throws(() => bootstrapAucInterval({ ...data, signal: controller.signal }), (error: unknown) => error instanceof CancelledError);
  });

  it("sets a threshold for a false-positive rate on real pictures alone, and says a fake-only set cannot", () => {
    const scores = [0.9, 0.05, 0.3, 0.6, 0.1, 0.2, 0.4, 0.7, 0.15, 0.25];
    const positives = scores.map(() => false);
    const chosen = thresholdForFpr({ scores, positives, maxFpr: 0.2 });
    // Two of ten may be flagged, 0.9 and 0.7: the threshold lies just above the third highest, 0.6, as sensitive as allowed.
    assert.ok(chosen.threshold > 0.6 && chosen.threshold < 0.6 + 1e-12, String(chosen.threshold));
    assert.equal(chosen.falsePositives, 2);
    assert.equal(chosen.fpr, 0.2);
    assert.equal(chosen.tpr, null);
    assert.throws(() => thresholdForFpr({ scores, positives: scores.map(() => true), maxFpr: 0.2 }), (error: unknown) => error instanceof StudioError && error.code === "evaluation-one-class" && /needs real pictures/.test(error.message));
  });

  it("says that a ROC AUC needs both classes", () => {
    assert.throws(() => rocAuc({ scores: [0.1, 0.2], positives: [true, true] }), (error: unknown) => error instanceof StudioError && error.code === "evaluation-one-class" && /0 real/.test(error.message));
  });
});

describe("evaluate: CLI on a small export", function () {
  this.timeout(300_000);
  let tmp: string;
  let project: FakeProject;
  let heldOut: string;
  let broken: string;

  before(async () => {
    tmp = await makeTempDir("dds-evaluate-");
    project = await makeFakeProject({ dir: path.join(tmp, "project") });
    heldOut = path.join(tmp, "held-out");
    const [fakeLabel, realLabel] = project.labels;
    // The fake folder's name differs in case from its label: matched all the same.
    const folders = { [fakeLabel]: path.join(heldOut, fakeLabel.toLowerCase()), [realLabel]: path.join(heldOut, realLabel) };
    for (const folder of Object.values(folders)) await fs.mkdir(folder, { recursive: true });
    for (const image of project.images) await fs.copyFile(path.join(project.dataDir, image.file), path.join(folders[image.label], path.basename(image.file)));
    // A picture cut short: listed as unreadable, not dropped.
    const whole = await fs.readFile(path.join(project.dataDir, project.images[0].file));
    broken = path.join(folders[realLabel], "cut-short.jpg");
    await fs.writeFile(broken, whole.subarray(0, Math.floor(whole.length / 3)));
    await fs.writeFile(path.join(heldOut, "notes.txt"), "not in a category folder\n");
  });

  after(async () => {
    await removeDir(tmp);
  });

  it("writes evaluation.json, report.md and the ROC and reliability charts (SVG + PNG), with predict's probabilities", async () => {
    const out = path.join(tmp, "evaluation-1");
    const { code, stdout, stderr } = await runCli(["--project", project.projectDir, "evaluate", heldOut, "-o", out, "--resamples", "500"]);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /ROC AUC\s+\d\.\d{3} \(95% CI \d\.\d{3}–\d\.\d{3}\)/);
    assert.match(stdout, /balanced accuracy\s+\d+\.\d%/);
    assert.match(stdout, /threshold for FPR ≤ 5\.0%/);
    assert.match(stdout, /1 unreadable/);
    assert.deepEqual((await fs.readdir(out)).sort(), ["calibration.png", "calibration.svg", "evaluation.json", "report.md", "roc.png", "roc.svg"]);
    for (const png of ["roc.png", "calibration.png"]) {
      const meta = await sharp(path.join(out, png)).metadata();
      assert.equal(meta.format, "png");
      assert.ok((meta.width ?? 0) >= 500);
    }
    assert.match(await fs.readFile(path.join(out, "roc.svg"), "utf8"), /<polyline class="roc"/);

    const evaluation = JSON.parse(await fs.readFile(path.join(out, "evaluation.json"), "utf8")) as Evaluation;
    const fakeLabel = project.labels[0];
    assert.equal(evaluation.fakeLabel.label, fakeLabel);
    assert.equal(evaluation.counts.scored, project.images.length);
    assert.equal(evaluation.counts.unreadable, 1);
    assert.deepEqual(evaluation.unscored.map((entry) => [entry.file, entry.label, entry.reason]), [[broken, project.labels[1], "unreadable"]]);
    assert.ok(evaluation.warnings.some((warning) => /outside any category sub-folder/.test(warning)));
    assert.ok(evaluation.aucInterval && evaluation.auc !== null && evaluation.atMaxFpr);
    assert.equal(evaluation.aucInterval.resamples, 500);

    // The same numbers as predict's own probabilities.
    const predicted = await runCli(["predict", heldOut, "--json", "--model", project.exportDir]);
    const predictions = (JSON.parse(predicted.stdout) as Array<Prediction | { file: string; error: string }>).filter((entry): entry is Prediction => !("error" in entry));
    assert.equal(predictions.length, evaluation.pictures.length);
    const byFile = new Map(evaluation.pictures.map((picture) => [picture.file, picture]));
    for (const prediction of predictions) {
      const picture = byFile.get(prediction.file);
      assert.ok(picture, prediction.file);
      assert.equal(picture.probability, prediction.probabilities[fakeLabel]);
      assert.equal(picture.predicted, prediction.label);
      assert.equal(picture.fake, path.basename(path.dirname(prediction.file)) === fakeLabel.toLowerCase());
    }
    const scores = evaluation.pictures.map((picture) => picture.probability);
    const positives = evaluation.pictures.map((picture) => picture.fake);
    assert.ok(Math.abs(evaluation.auc - bruteForceAuc(scores, positives)) < 1e-12);
    assert.ok(evaluation.aucInterval.low <= evaluation.auc && evaluation.auc <= evaluation.aucInterval.high);
    const fp = scores.filter((score, i) => !positives[i] && score >= evaluation.atMaxFpr!.threshold).length;
    assert.equal(evaluation.atMaxFpr.confusion.falsePositives, fp);
    assert.ok(fp / evaluation.counts.real <= 0.05);
    // Today's decision is the arg-max: accuracy counts predict's labels.
    assert.equal(evaluation.current.rule, "arg-max");
    const correct = evaluation.pictures.filter((picture) => (picture.predicted === fakeLabel) === picture.fake).length;
    assert.equal(evaluation.accuracy, correct / evaluation.pictures.length);

    const report = await fs.readFile(path.join(out, "report.md"), "utf8");
    assert.match(report, /!\[ROC curve\]\(roc\.png\)/);
    assert.match(report, /!\[Reliability diagram\]\(calibration\.png\)/);
    assert.match(report, /## Not scored[\s\S]*cut-short\.jpg/);
    assert.match(report, /export --max-fpr 0\.05/);
  });

  it("writes to evaluation/<time> in the project by default, and refuses the data, runs and export folders or a used folder", async () => {
    const first = await runCli(["--project", project.projectDir, "evaluate", heldOut, "--resamples", "100"]);
    assert.equal(first.code, 0, first.stderr);
    const made = await fs.readdir(path.join(project.projectDir, "evaluation"));
    assert.equal(made.length, 1);
    assert.match(made[0], /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/);
    for (const inside of [path.join(project.dataDir, "eval"), path.join(project.projectDir, "runs", "eval"), path.join(project.exportDir, "eval"), path.join(heldOut, "eval")]) {
      const refused = await runCli(["--project", project.projectDir, "evaluate", heldOut, "-o", inside, "--resamples", "100"]);
      assert.equal(refused.code, 1, inside);
      assert.match(refused.stderr, /Refusing to write the evaluation into/);
      await assert.rejects(fs.stat(inside), `${inside} was not created`);
    }
    const used = await runCli(["--project", project.projectDir, "evaluate", heldOut, "-o", path.join(project.projectDir, "evaluation", made[0]), "--resamples", "100"]);
    assert.equal(used.code, 1);
    assert.match(used.stderr, /already exists and is not empty/);
  });

  it("refuses a sub-folder that names no label, saying which", async () => {
    const odd = path.join(tmp, "odd");
    await fs.mkdir(path.join(odd, project.labels[0]), { recursive: true });
    await fs.mkdir(path.join(odd, "Maybe"), { recursive: true });
    const { code, stderr } = await runCli(["--project", project.projectDir, "evaluate", odd, "-o", path.join(tmp, "odd-out")]);
    assert.equal(code, 1);
    assert.match(stderr, /sub-folder\(s\) "Maybe" that name none of the model's labels/);
    assert.doesNotMatch(stderr, /at .*\.js:\d+/, "no stack trace");
  });
});

describe("evaluate: a face-crop model", function () {
  this.timeout(300_000);
  let tmp: string;

  before(async () => {
    tmp = await makeTempDir("dds-evaluate-faces-");
  });
  after(async () => {
    await removeDir(tmp);
  });

  it("counts and lists pictures without a face apart, and scores the others as predict does", async () => {
    const project = await makeFakeProject({ dir: path.join(tmp, "project"), faceCrop: true });
    const [fakeLabel, realLabel] = project.labels;
    const heldOut = path.join(tmp, "held-out");
    const photos = faceApiSamples();
    const drawn = project.images.slice(0, 2).map((image) => path.join(project.dataDir, image.file));
    const place = async (label: string, files: string[]) => {
      await fs.mkdir(path.join(heldOut, label), { recursive: true });
      for (const file of files) await fs.copyFile(file, path.join(heldOut, label, `${path.basename(path.dirname(file))}-${path.basename(file)}`));
    };
    // Real photos of people have faces; the drawn cartoons do not, for the detector.
    await place(fakeLabel, [...photos.slice(0, 3), drawn[0]]);
    await place(realLabel, [...photos.slice(3), drawn[1]]);
    const evaluation = await evaluateFolder({ folders: [heldOut], modelDir: project.exportDir, resamples: 100 });
    assert.equal(evaluation.model.faceCrop, true);
    assert.equal(evaluation.counts.noFace, 2);
    assert.equal(evaluation.counts.scored, 6);
    assert.deepEqual(evaluation.unscored.map((entry) => [path.basename(entry.file).replace(/^.*-/, ""), entry.label, entry.reason]).sort(),
      [[path.basename(drawn[0]), fakeLabel, "no-face"], [path.basename(drawn[1]), realLabel, "no-face"]].sort());
    assert.deepEqual(evaluation.counts.perLabel.map((row) => [row.label, row.scored, row.noFace]), [[fakeLabel, 3, 1], [realLabel, 3, 1]]);
    assert.ok(evaluation.warnings.some((warning) => /2 picture\(s\) show no face/.test(warning)));
    const predicted = (await predict({ modelDir: project.exportDir, inputs: [heldOut] })).filter((entry): entry is Prediction => !("error" in entry));
    assert.deepEqual(evaluation.pictures.map((picture) => [picture.file, picture.probability]), predicted.map((entry) => [entry.file, entry.probabilities[fakeLabel]]));
  });
});

describe("evaluate: an export's decision threshold", function () {
  this.timeout(300_000);
  let tmp: string;
  let plain: FakeProject;

  before(async () => {
    tmp = await makeTempDir("dds-decision-");
    plain = await makeFakeProject({ dir: path.join(tmp, "plain") });
  });
  after(async () => {
    await removeDir(tmp);
  });

  /** The same model (deterministic fixture) with a threshold recorded for the fake label. */
  async function withThreshold(name: string, threshold: number): Promise<FakeProject> {
    const decision: DecisionThreshold = { label: plain.labels[0], threshold, method: "given" };
    return makeFakeProject({ dir: path.join(tmp, name), decision });
  }

  it("decides predict's label for a picture between two thresholds", async () => {
    const results = (await predict({ modelDir: plain.exportDir, inputs: [plain.dataDir] })) as Prediction[];
    const fakeLabel = plain.labels[0];
    // A picture the arg-max calls real but with some fake probability.
    const picture = results.filter((result) => result.label !== fakeLabel).sort((a, b) => b.probabilities[fakeLabel] - a.probabilities[fakeLabel])[0];
    const p = picture.probabilities[fakeLabel];
    assert.ok(p > 0.001 && p < 0.5, String(p));
    const low = await withThreshold("low", p / 2);
    const high = await withThreshold("high", (p + 1) / 2);
    const [below] = (await predict({ modelDir: low.exportDir, inputs: [path.join(low.dataDir, path.relative(plain.dataDir, picture.file))] })) as Prediction[];
    const [above] = (await predict({ modelDir: high.exportDir, inputs: [path.join(high.dataDir, path.relative(plain.dataDir, picture.file))] })) as Prediction[];
    assert.equal(below.probabilities[fakeLabel], p, "the same model");
    assert.equal(below.label, fakeLabel, "the threshold below its probability flags it");
    assert.deepEqual(below.threshold, { label: fakeLabel, value: p / 2 });
    assert.equal(above.label, plain.labels[1]);
    assert.equal(picture.threshold, undefined, "no threshold: the arg-max, as before");
  });

  it("is check's default threshold, unless --threshold is given", async () => {
    const exported = await withThreshold("check", 0.37);
    const image = path.join(exported.dataDir, exported.images[0].file);
    const [byExport] = (await checkMedia({ inputs: [image], modelDir: exported.exportDir })) as MediaCheck[];
    assert.equal(byExport.threshold, 0.37);
    assert.equal(byExport.model.thresholdSource, "export");
    const [given] = (await checkMedia({ inputs: [image], modelDir: exported.exportDir, threshold: 0.6 })) as MediaCheck[];
    assert.equal(given.threshold, 0.6);
    assert.equal(given.model.thresholdSource, "given");
    const [plainCheck] = (await checkMedia({ inputs: [path.join(plain.dataDir, plain.images[0].file)], modelDir: plain.exportDir })) as MediaCheck[];
    assert.equal(plainCheck.threshold, 0.5);
    assert.equal(plainCheck.model.thresholdSource, "default");
  });

  it("is refused when preprocess.json's threshold was edited by hand", async () => {
    const exported = await withThreshold("edited", 0.4);
    const file = path.join(exported.exportDir, "preprocess.json");
    const preprocess = JSON.parse(await fs.readFile(file, "utf8"));
    assert.equal((await loadExport({ modelDir: exported.exportDir })).decision?.threshold, 0.4);
    await fs.writeFile(file, JSON.stringify({ ...preprocess, decision: { ...preprocess.decision, threshold: 0.1 } }));
    await assert.rejects(loadExport({ modelDir: exported.exportDir }), (error: unknown) => error instanceof InvalidExportError && /does not match the one stored inside model\.onnx/.test(error.message) && /export --threshold/.test(error.hint ?? ""));
    // Added to an export that has none: refused too.
    const plainFile = path.join(plain.exportDir, "preprocess.json");
    const original = await fs.readFile(plainFile, "utf8");
    await fs.writeFile(plainFile, JSON.stringify({ ...JSON.parse(original), decision: { label: plain.labels[0], threshold: 0.2, method: "given" } }));
    try {
      await assert.rejects(loadExport({ modelDir: plain.exportDir }), InvalidExportError);
    } finally {
      await fs.writeFile(plainFile, original);
    }
  });
});
