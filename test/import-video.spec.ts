import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import sharp from "sharp";
import { readManifest } from "../src/core/dataset/manifest";
import { importFolder } from "../src/core/gather/import-folder";
import { importVideo } from "../src/core/gather/import-video";
import { initProject, parseProjectConfig, type ProjectConfig } from "../src/core/project/project-config";
import { listFacePhotoSources } from "../src/core/reference-data/face-photo-sources";
import { hasFfmpeg, makeCallClip } from "./fixtures/make-clip";
import { requireSystem } from "./support/require-system";
import { runCli } from "./support/run-cli";
import { makeTempDir, removeDir } from "./support/temp-dir";

const LABEL = "Real CFO";

function config(dedupe: Record<string, unknown> = {}): ProjectConfig {
  return parseProjectConfig({ categories: [{ label: LABEL }, { label: "Deepfake CFO" }], dedupe });
}


describe("import of video frames", function () {
  this.timeout(180_000);
  let work: string;
  let talking: string;
  let still: string;

  before(async () => {
    requireSystem(await hasFfmpeg(), "ffmpeg", "ffmpeg");
    work = await makeTempDir("dds-video-");
    talking = await makeCallClip({ dir: work, name: "talking", pixels: 4, zoom: 0.01 });
    still = await makeCallClip({ dir: work, name: "still", pixels: 0, zoom: 0 });
  });
  after(async () => {
    await removeDir(work);
  });

  async function project(): Promise<string> {
    const dir = path.join(work, `project-${Math.random().toString(36).slice(2)}`);
    await fs.mkdir(dir);
    return dir;
  }

  it("keeps frames a second apart of a moving face, records video, sha256 and time, and a re-import adds nothing", async () => {
    const projectDir = await project();
    const report = await importVideo({ projectDir, config: config(), file: talking, label: LABEL, fps: 1 });
    const row = report.categories[0];
    assert.equal(row.found, 10);
    assert.ok(row.kept >= 8, `kept ${row.kept} of 10 (near duplicates ${row.nearDuplicates})`);
    const manifest = await readManifest(path.join(projectDir, "data"));
    assert.equal(manifest.length, row.kept);
    const sha256 = createHash("sha256").update(await fs.readFile(talking)).digest("hex");
    for (const record of manifest) {
      assert.equal(record.source, "import");
      assert.equal(record.video?.file, talking);
      assert.equal(record.video?.sha256, sha256);
      assert.equal(record.originalPath, `${talking}#t=${record.video?.time}`);
    }
    const times = manifest.map((record) => record.video!.time).sort((a, b) => a - b);
    assert.ok(times.every((time) => Number.isInteger(time) && time >= 0 && time < 10), times.join(" "));

    const again = await importVideo({ projectDir, config: config(), file: talking, label: LABEL, fps: 1 });
    assert.equal(again.categories[0].kept, 0);
    assert.equal(again.categories[0].alreadyKnown, 10, "kept and dropped frames alike are known");
    assert.equal((await readManifest(path.join(projectDir, "data"))).length, row.kept);
  });

  it("with the web pictures' distance for frames too, most frames were lost (the problem the policy fixes)", async () => {
    const projectDir = await project();
    const report = await importVideo({ projectDir, config: config({ videoFrameDistance: 10 }), file: talking, label: LABEL, fps: 1 });
    assert.ok(report.categories[0].kept <= 3, `kept ${report.categories[0].kept}`);
  });

  it("a still shot still gives one picture, and a re-upload of a frame is still dropped as a near copy", async () => {
    const projectDir = await project();
    const report = await importVideo({ projectDir, config: config(), file: still, label: LABEL, fps: 1 });
    assert.equal(report.categories[0].kept, 1);
    const [frame] = await readManifest(path.join(projectDir, "data"));
    // The same frame as a web re-upload: half the size, strong JPEG compression.
    const uploads = path.join(work, `uploads-${Math.random().toString(36).slice(2)}`);
    await fs.mkdir(uploads);
    await sharp(path.join(projectDir, "data", frame.file)).resize(240).jpeg({ quality: 35 }).toFile(path.join(uploads, "reupload.jpg"));
    const imported = await importFolder({ projectDir, config: config(), folder: uploads, label: LABEL });
    assert.equal(imported.categories[0].kept, 0);
    assert.equal(imported.categories[0].nearDuplicates + imported.categories[0].duplicates, 1);
  });

  it("from the command line: a folder and a video in one import, --fps, and the table per source", async () => {
    const projectDir = await project();
    await initProject({ projectDir, config: config() });
    const photos = path.join(work, `photos-${Math.random().toString(36).slice(2)}`);
    await fs.mkdir(photos);
    await fs.copyFile(listFacePhotoSources()[1].path, path.join(photos, "cfo.jpg"));
    const result = await runCli(["--project", projectDir, "import", photos, talking, "--label", LABEL, "--fps", "0.5"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /Importing frames of .*talking\.mp4 \(0\.5 per second\) as Real CFO/);
    const rows = result.stdout.split("\n").filter((line) => line.startsWith(LABEL));
    assert.equal(rows.length, 2, result.stdout);
    assert.match(rows[1], /^Real CFO\s+5\s+0\s+5\s/, "5 frames sampled from 10 s at 0.5 fps");
    const bad = await runCli(["--project", projectDir, "import", talking, "--label", LABEL, "--fps", "0"]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /expected a positive number, got "0"/);
  });
});
