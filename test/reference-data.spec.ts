/** Reference face dataset: real face crops vs crude local face swaps, generated offline and deterministically. */
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import sharp from "sharp";
import { buildFaceDataset, type FaceDataset, type FaceDatasetItem } from "../src/core/reference-data/build-face-dataset";
import { loadSourceFaces, type SourceFaces } from "../src/core/reference-data/load-source-faces";
import { renderFaceSample } from "../src/core/reference-data/render-face-sample";
import { createSeededRandom } from "../src/core/shared/seeded-random";
import { CancelledError, StudioError } from "../src/core/shared/errors";
import type { ProgressEvent } from "../src/core/shared/progress";
import { loadTensorflow } from "../src/core/shared/tensorflow";

const PER_CLASS = 12;
const SEED = 7;
const SIZE = 224;
const QUALITY = 90;

/** Mean of a list of numbers. */
function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Population standard deviation. */
function std(values: readonly number[]): number {
  const m = mean(values);
  return Math.sqrt(mean(values.map((value) => (value - m) ** 2)));
}

/** The source face an item was cut from. */
function faceOf(sources: SourceFaces, source: string, faceIndex: number): SourceFaces["faces"][number] {
  const face = sources.faces.find((f) => f.source === source && f.faceIndex === faceIndex);
  assert.ok(face, `no source face ${source} #${faceIndex}`);
  return face;
}

describe("reference face dataset", function () {
  this.timeout(120_000);
  let tmp: string;
  let built: FaceDataset;
  let sources: SourceFaces;
  const events: ProgressEvent[] = [];

  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), "face-dataset-"));
    built = await buildFaceDataset({ outDir: path.join(tmp, "a"), perClass: PER_CLASS, seed: SEED, size: SIZE, jpegQuality: QUALITY, onProgress: (e) => events.push(e) });
    sources = await loadSourceFaces();
  });

  after(async () => {
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  it("runs face-api on the one tfjs engine that loadTensorflow() started", async () => {
    const tf = await loadTensorflow();
    const faceapi = require("@vladmandic/face-api/dist/face-api.node-wasm.js") as { tf: { engine(): unknown } };
    assert.equal(faceapi.tf.engine(), tf.engine());
  });

  it("finds the faces of the group photos shipped in @vladmandic/face-api", () => {
    assert.ok(built.sourceFaces.length >= 15, `only ${built.sourceFaces.length} faces`);
    const perPhoto = new Map<string, number>();
    for (const face of built.sourceFaces) perPhoto.set(face.source, (perPhoto.get(face.source) ?? 0) + 1);
    assert.equal(perPhoto.size, 6);
    for (const [source, count] of perPhoto) {
      assert.match(source, /^@vladmandic\/face-api@[\d.]+\/demo\/sample\d\.jpg$/);
      assert.ok(count >= 2, `${source}: ${count} faces`);
    }
    for (const face of sources.faces) assert.equal(face.landmarks.length, 68);
  });

  it("writes perClass JPEGs into Real/ and Deepfake/ with provenance for each", async () => {
    assert.equal(path.basename(built.realDir), "Real");
    assert.equal(path.basename(built.fakeDir), "Deepfake");
    assert.equal((await fs.readdir(built.realDir)).length, PER_CLASS);
    assert.equal((await fs.readdir(built.fakeDir)).length, PER_CLASS);
    assert.equal(built.items.length, PER_CLASS * 2);
    for (const item of built.items) {
      assert.equal(path.dirname(item.file), item.label === "Real" ? built.realDir : built.fakeDir);
      await fs.access(item.file);
      assert.ok(item.note.includes(item.source));
      if (item.label === "Real") {
        assert.equal(item.donor, undefined);
      } else {
        assert.ok(item.donor, "a deepfake names its donor");
        assert.notDeepEqual([item.donor.source, item.donor.faceIndex], [item.source, item.faceIndex]);
        assert.ok(item.note.includes(item.donor.source));
      }
    }
    const provenance = JSON.parse(await fs.readFile(path.join(tmp, "a", "provenance.json"), "utf8")) as { items: unknown[]; seed: number };
    assert.equal(provenance.items.length, PER_CLASS * 2);
    assert.equal(provenance.seed, SEED);
    assert.ok(events.some((e) => e.event === "progress" && e.phase === "generate" && e.done === PER_CLASS * 2));
  });

  it("shows every person equally often in both classes", () => {
    const count = (label: string): Map<string, number> => {
      const counts = new Map<string, number>();
      for (const item of built.items.filter((i) => i.label === label)) {
        const key = `${item.source}#${item.faceIndex}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return counts;
    };
    assert.deepEqual([...count("Real")].sort(), [...count("Deepfake")].sort());
  });

  it("gives both classes the same dimensions, encoding, similar file sizes and brightness (no trivial cue)", async () => {
    const stats = async (items: FaceDatasetItem[]) =>
      Promise.all(
        items.map(async (item) => {
          const meta = await sharp(item.file).metadata();
          const { channels } = await sharp(item.file).stats();
          return { width: meta.width, height: meta.height, format: meta.format, subsampling: meta.chromaSubsampling, bytes: (await fs.stat(item.file)).size, brightness: mean(channels.slice(0, 3).map((c) => c.mean)) };
        }),
      );
    const real = await stats(built.items.filter((i) => i.label === "Real"));
    const fake = await stats(built.items.filter((i) => i.label === "Deepfake"));
    for (const s of [...real, ...fake]) assert.deepEqual([s.width, s.height, s.format, s.subsampling], [SIZE, SIZE, "jpeg", "4:2:0"]);
    const realBytes = real.map((s) => s.bytes);
    const fakeBytes = fake.map((s) => s.bytes);
    const ratio = mean(fakeBytes) / mean(realBytes);
    assert.ok(ratio > 0.85 && ratio < 1.15, `mean JPEG size fake/real = ${ratio.toFixed(3)}`);
    assert.ok(Math.abs(mean(fakeBytes) - mean(realBytes)) < std([...realBytes, ...fakeBytes]), "JPEG sizes would separate the classes");
    const brightnessGap = Math.abs(mean(real.map((s) => s.brightness)) - mean(fake.map((s) => s.brightness)));
    assert.ok(brightnessGap < 0.5 * std([...real, ...fake].map((s) => s.brightness)), `brightness gap ${brightnessGap.toFixed(1)}`);
  });

  it("writes byte-identical files for the same seed, and different ones for another seed", async () => {
    const again = await buildFaceDataset({ outDir: path.join(tmp, "b"), perClass: PER_CLASS, seed: SEED, size: SIZE, jpegQuality: QUALITY });
    assert.deepEqual(again.items.map((i) => path.basename(i.file)), built.items.map((i) => path.basename(i.file)));
    for (const [index, item] of again.items.entries()) {
      assert.ok((await fs.readFile(item.file)).equals(await fs.readFile(built.items[index].file)), `${path.basename(item.file)} differs`);
    }
    const other = await buildFaceDataset({ outDir: path.join(tmp, "c"), perClass: 2, seed: SEED + 1, size: SIZE, jpegQuality: QUALITY });
    const same = await Promise.all(other.items.map(async (item, index) => (await fs.readFile(item.file)).equals(await fs.readFile(built.items[index].file))));
    assert.ok(same.every((s) => !s), "another seed gave the same images");
  });

  it("replaces a smaller rebuild's leftovers so a folder holds exactly one build", async () => {
    const dir = path.join(tmp, "b");
    const smaller = await buildFaceDataset({ outDir: dir, perClass: 3, seed: SEED, size: SIZE, jpegQuality: QUALITY });
    assert.equal((await fs.readdir(smaller.realDir)).length, 3);
    assert.equal((await fs.readdir(smaller.fakeDir)).length, 3);
    // Sample i does not depend on perClass, so a smaller build is a prefix of a bigger one.
    for (const [index, item] of smaller.items.entries()) assert.ok((await fs.readFile(item.file)).equals(await fs.readFile(built.items[index].file)));
  });

  it("swaps change the inner face and leave the rest of the crop untouched; provenance regenerates the file", async () => {
    for (const item of built.items.filter((i) => i.label === "Deepfake").slice(0, 6)) {
      assert.ok(item.donor);
      const face = faceOf(sources, item.source, item.faceIndex);
      const donor = { face: faceOf(sources, item.donor.source, item.donor.faceIndex), mirror: item.donor.mirrored };
      const real = renderFaceSample({ photos: sources.photos, face, variation: item.variation, size: SIZE });
      const fake = renderFaceSample({ photos: sources.photos, face, donor, variation: item.variation, size: SIZE });
      const encoded = await sharp(fake.pixels, { raw: { width: SIZE, height: SIZE, channels: 3 } }).jpeg({ quality: QUALITY, chromaSubsampling: "4:2:0" }).toBuffer();
      assert.ok(encoded.equals(await fs.readFile(item.file)), `${path.basename(item.file)} is not reproducible from its provenance`);

      // Inner face = box around eyes and mouth; outside = beyond the box of all 68 landmarks plus a small margin.
      const box = (points: { x: number; y: number }[], grow: number) => {
        const xs = points.map((p) => p.x);
        const ys = points.map((p) => p.y);
        const [w, h] = [Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys)];
        return { x0: Math.min(...xs) - grow * w, x1: Math.max(...xs) + grow * w, y0: Math.min(...ys) - grow * h, y1: Math.max(...ys) + grow * h };
      };
      const inner = box(real.landmarks.slice(36, 68), 0);
      const whole = box(real.landmarks, 0.1);
      const innerDiffs: number[] = [];
      const outerDiffs: number[] = [];
      for (let y = 0; y < SIZE; y++) {
        for (let x = 0; x < SIZE; x++) {
          const at = (y * SIZE + x) * 3;
          const diff = (Math.abs(real.pixels[at] - fake.pixels[at]) + Math.abs(real.pixels[at + 1] - fake.pixels[at + 1]) + Math.abs(real.pixels[at + 2] - fake.pixels[at + 2])) / 3;
          if (x >= inner.x0 && x <= inner.x1 && y >= inner.y0 && y <= inner.y1) innerDiffs.push(diff);
          else if (x < whole.x0 || x > whole.x1 || y < whole.y0 || y > whole.y1) outerDiffs.push(diff);
        }
      }
      assert.ok(innerDiffs.length > 500 && outerDiffs.length > 500, "crop too tight to compare");
      assert.ok(mean(innerDiffs) > 8, `${path.basename(item.file)}: inner face changed by only ${mean(innerDiffs).toFixed(1)}`);
      assert.ok(mean(outerDiffs) < 0.5, `${path.basename(item.file)}: outside changed by ${mean(outerDiffs).toFixed(2)}`);
    }
  });

  it("stops with CancelledError when aborted and rejects nonsense parameters", async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(buildFaceDataset({ outDir: path.join(tmp, "d"), perClass: 2, signal: controller.signal }), CancelledError);
    await assert.rejects(buildFaceDataset({ outDir: path.join(tmp, "d"), perClass: 0 }), (e: unknown) => e instanceof StudioError && e.code === "invalid-argument");
    await assert.rejects(buildFaceDataset({ outDir: path.join(tmp, "d"), jpegQuality: 101 }), (e: unknown) => e instanceof StudioError && e.code === "invalid-argument");
  });

  it("seeded random: same seed same stream, derived streams independent of draws", () => {
    const a = createSeededRandom(42);
    const b = createSeededRandom(42);
    assert.deepEqual([a.next(), a.next(), a.int(10)], [b.next(), b.next(), b.int(10)]);
    const c = createSeededRandom(42);
    c.next();
    assert.equal(c.derive(3).next(), createSeededRandom(42).derive(3).next());
    assert.notEqual(createSeededRandom(43).next(), createSeededRandom(42).next());
    assert.deepEqual(createSeededRandom(1).shuffle([1, 2, 3, 4, 5]).sort(), [1, 2, 3, 4, 5]);
  });
});
