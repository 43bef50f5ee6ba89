/**
 * The shortcut audit: face identity alone separates a "Deepfake" class that shows other people, and does not when
 * both classes show the same people; picture size is caught without any face; the cross-validated accuracy itself.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import sharp from "sharp";
import { auditShortcuts } from "../src/core/audit/audit-shortcuts";
import { crossValidatedAccuracy } from "../src/core/audit/cross-validated-accuracy";
import { describeAudit } from "../src/core/audit/describe-audit";
import { createSeededRandom } from "../src/core/shared/seeded-random";
import { writeOfflineBackbone } from "../src/core/backbone/write-offline-backbone";
import { parseProjectConfig } from "../src/core/project/project-config";
import { describeSameIdentityCheck } from "../src/core/synthesize/blend-sensitivity";
import { resolveSelfBlend } from "../src/core/synthesize/training-fakes";
import { chooseDefaultSelfBlend } from "../src/core/train/choose-self-blend";
import { train } from "../src/core/train/train";
import { makeTempDir, removeDir } from "./support/temp-dir";

const ROOT = path.resolve(__dirname, "..", "..");

/** The reference dataset (face-api's demo photos, 22 people) built in a child process, as train.spec does. */
function buildReference(outDir: string, perClass: number): Promise<void> {
  const module = path.join(ROOT, "out", "src", "core", "reference-data", "build-face-dataset.js");
  const script = `require(${JSON.stringify(module)}).buildFaceDataset({ outDir: ${JSON.stringify(outDir)}, perClass: ${perClass}, seed: 3 }).catch((e) => { console.error(e); process.exit(1); });`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["-e", script], { maxBuffer: 16 * 1024 * 1024 }, (error, _stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve()));
  });
}

async function sha256Of(file: string): Promise<string> {
  return createHash("sha256").update(await fs.readFile(file)).digest("hex");
}

describe("shortcut audit", function () {
  this.timeout(300_000);
  let tmp: string;
  let reals: Array<{ file: string; sha256: string; person: string }>;

  before(async () => {
    tmp = await makeTempDir("dds-audit-");
    const outDir = path.join(tmp, "reference");
    // 66 real crops: three framings of each of the 22 faces.
    await buildReference(outDir, 66);
    const provenance = JSON.parse(await fs.readFile(path.join(outDir, "provenance.json"), "utf8")) as { items: Array<{ file: string; label: string; source: string; faceIndex: number }> };
    reals = await Promise.all(provenance.items.filter((item) => item.label === "Real").map(async (item) => {
      const file = path.join(outDir, item.file);
      return { file, sha256: await sha256Of(file), person: `${item.source}#${item.faceIndex}` };
    }));
  });

  after(async () => {
    await removeDir(tmp);
  });

  it("scores a separable cue near 1 and noise near 0.5, cross-validated", () => {
    const random = createSeededRandom(5);
    const positive = Array.from({ length: 80 }, (_, i) => i % 2 === 0);
    const separable = positive.map((p) => [p ? 1 + random.next() : -1 - random.next(), random.next()]);
    const noise = positive.map(() => [random.next(), random.next(), random.next()]);
    assert.ok(crossValidatedAccuracy({ rows: separable, positive }) >= 0.98);
    const chance = crossValidatedAccuracy({ rows: noise, positive });
    assert.ok(chance > 0.3 && chance < 0.7, `noise scored ${chance}`);
    assert.ok(Number.isNaN(crossValidatedAccuracy({ rows: [[1], [2], [3]], positive: [true, false, false] })), "one picture in a class cannot be cross-validated");
  });

  it("fires when the fake class shows other people: identity alone tells the classes apart", async () => {
    const people = [...new Set(reals.map((item) => item.person))].sort();
    assert.equal(people.length, 22);
    const others = new Set(people.slice(11));
    const pictures = reals.map((item) => ({ ...item, label: others.has(item.person) ? "Deepfake" : "Real" }));
    const audit = await auditShortcuts({ cacheDir: path.join(tmp, "identity"), labels: ["Real", "Deepfake"], pictures, perClass: 33 });
    const identity = audit.checks.find((check) => check.cue === "identity");
    assert.ok(identity && identity.balancedAccuracy !== null && identity.balancedAccuracy >= 0.9, JSON.stringify(audit.checks));
    // Tight close-ups defeat both detectors now and then (52 of 66 found when this was written).
    assert.ok(identity.pictures >= 48, `faces found in ${identity.pictures} of 66 crops`);
    assert.equal(identity.separates, true);
    assert.match(audit.warnings.join("\n"), /Face identity alone tells "Deepfake" from the other pictures .* show other people.*self-blends/s);
    assert.match(describeAudit(audit)[1], /^Warning: Face identity/);
  });

  it("stays quiet when both classes show the same people", async () => {
    // Every person's first and third framing are "Real", the second "Deepfake": identity carries no class.
    const seen = new Map<string, number>();
    const pictures = reals.map((item) => {
      const k = seen.get(item.person) ?? 0;
      seen.set(item.person, k + 1);
      return { ...item, label: k === 1 ? "Deepfake" : "Real" };
    });
    const audit = await auditShortcuts({ cacheDir: path.join(tmp, "identity"), labels: ["Real", "Deepfake"], pictures, perClass: 44 });
    const identity = audit.checks.find((check) => check.cue === "identity");
    assert.ok(identity && identity.balancedAccuracy !== null && identity.balancedAccuracy < 0.8, JSON.stringify(audit.checks));
    assert.deepEqual(audit.warnings.filter((warning) => /identity/i.test(warning)), []);
  });

  it("lets training add self-blends by default only where the fakes show other people (train.selfBlend unset, face crops)", async () => {
    const config = parseProjectConfig({ categories: [{ label: "Real" }, { label: "Deepfake" }], faceCrop: true, train: { epochs: 1, augmentViews: 0 } });
    const plan = resolveSelfBlend(config);
    assert.equal(plan.mode, "add", "the project file's default for face crops");
    const people = [...new Set(reals.map((item) => item.person))].sort();
    const others = new Set(people.slice(11));
    const otherPeople = reals.map(({ file, person }) => ({ file, label: others.has(person) ? "Deepfake" : "Real" }));
    const seen = new Map<string, number>();
    const samePeople = reals.map(({ file, person }) => {
      const k = seen.get(person) ?? 0;
      seen.set(person, k + 1);
      return { file, label: k === 1 ? "Deepfake" : "Real" };
    });
    const projectDir = path.join(tmp, "choose");
    const kept = await chooseDefaultSelfBlend({ projectDir, plan, pictures: otherPeople, seed: 42 });
    assert.equal(kept.plan.mode, "add");
    assert.equal(kept.note, undefined);
    const chosen = await chooseDefaultSelfBlend({ projectDir, plan, pictures: samePeople, seed: 42 });
    assert.equal(chosen.plan.mode, "off");
    assert.match(chosen.note ?? "", /^train\.selfBlend is not set, and face identity alone tells "Deepfake" from the other pictures in only \d+ % of cases .* no self-blends were added\. .* from 87 % to 68 % .* Set train\.selfBlend to "add" to add them anyway\.$/);
    assert.equal((await chooseDefaultSelfBlend({ projectDir, plan: { ...plan, mode: "only" }, pictures: samePeople, seed: 42 })).plan.mode, "only", "a mode the project file sets is never changed");

    // Training follows it, and says so in its log, metrics.json and the same-person check's words.
    for (const { file, label } of samePeople) {
      await fs.mkdir(path.join(projectDir, "data", label), { recursive: true });
      await fs.copyFile(file, path.join(projectDir, "data", label, path.basename(file)));
    }
    const logged: string[] = [];
    const result = await train({ projectDir, config, backbone: await writeOfflineBackbone({ cacheDir: path.join(tmp, "cache") }), onProgress: (event) => event.event === "log" && logged.push(event.message) });
    assert.equal(result.metrics.synthesized?.mode, "off");
    assert.equal(result.metrics.synthesized?.choice, chosen.note);
    assert.ok(logged.includes(chosen.note!), logged.join("\n"));
    assert.equal(Object.values(result.metrics.synthesized!.train).reduce((a, b) => a + b, 0), 0, "no self-blend joined the training data");
    assert.deepEqual(describeSameIdentityCheck(result.metrics).slice(1), [chosen.note]);
  });

  it("catches picture size without any face, and says identity could not be measured", async () => {
    const dir = path.join(tmp, "sizes");
    await fs.mkdir(dir, { recursive: true });
    const random = createSeededRandom(9);
    const pictures = [];
    for (let i = 0; i < 24; i++) {
      const fake = i % 2 === 1;
      const file = path.join(dir, `${i}.jpg`);
      const grey = 60 + random.int(120);
      await sharp({ create: { width: fake ? 320 : 400, height: fake ? 240 : 400, channels: 3, background: { r: grey, g: grey, b: grey } } }).jpeg().toFile(file);
      pictures.push({ file, sha256: await sha256Of(file), label: fake ? "Deepfake" : "Real" });
    }
    const audit = await auditShortcuts({ cacheDir: path.join(tmp, "identity"), labels: ["Real", "Deepfake"], pictures });
    const byCue = Object.fromEntries(audit.checks.map((check) => [check.cue, check]));
    assert.equal(byCue["picture-size"].separates, true);
    assert.equal(byCue.identity.balancedAccuracy, null);
    assert.equal(audit.noFace, 24);
    assert.match(audit.warnings.join("\n"), /Picture size alone/);
    assert.match(describeAudit(audit)[0], /face identity not measured.*no face found in 24/);
  });
});
