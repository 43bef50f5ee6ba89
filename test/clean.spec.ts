import { strict as assert } from "node:assert";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { applyCleaning } from "../src/core/clean/apply-cleaning";
import { listTopLosses } from "../src/core/clean/list-top-losses";
import { undoLastCleaning } from "../src/core/clean/undo-last-cleaning";
import { readManifest } from "../src/core/dataset/manifest";
import type { ProjectConfig } from "../src/core/project/project-config";
import { StudioError } from "../src/core/shared/errors";
import { datasetSnapshot, imagesOf as imagesIn, makeCleanProject, writePredictions } from "./support/clean-project";
import { makeTempDir, removeDir } from "./support/temp-dir";

describe("cleaning (apply and undo)", function () {
  this.timeout(60_000);
  let projectDir: string;
  let dataDir: string;
  let config: ProjectConfig;

  beforeEach(async () => {
    projectDir = await makeTempDir();
    ({ dataDir, config } = await makeCleanProject(projectDir));
  });
  afterEach(async () => removeDir(projectDir));

  const imagesOf = (folder: string) => imagesIn(dataDir, folder);
  const snapshot = () => datasetSnapshot(dataDir);

  it("deletes into the trash, relabels by moving, keeps the rest, and the manifest follows", async () => {
    const [real1, real2, real3] = await imagesOf("Real Tom Cruise");
    const deletedBytes = await fs.readFile(path.join(dataDir, real1));
    const result = await applyCleaning({
      projectDir,
      config,
      decisions: [
        { file: real1, action: "delete" },
        { file: real2, action: "relabel", label: "Deepfake Tom Cruise" },
        { file: real3, action: "keep" },
      ],
    });
    assert.equal(result.deleted, 1);
    assert.equal(result.relabelled, 1);
    assert.equal(result.kept, 1);
    assert.ok(result.batchId);
    assert.deepEqual(await imagesOf("Real Tom Cruise"), [real3]);
    const moved = `Deepfake Tom Cruise/${path.basename(real2)}`;
    assert.ok((await imagesOf("Deepfake Tom Cruise")).includes(moved));
    const trashed = path.join(dataDir, ".trash", result.batchId, "Real Tom Cruise", path.basename(real1));
    assert.deepEqual(await fs.readFile(trashed), deletedBytes, "a deleted image is kept in the trash");

    const manifest = await readManifest(dataDir);
    assert.equal(manifest.length, 4);
    assert.ok(!manifest.some((record) => record.file === real1));
    const relabelled = manifest.find((record) => record.file === moved);
    assert.equal(relabelled?.label, "Deepfake Tom Cruise");
  });

  it("undo restores files and manifest exactly", async () => {
    const before = await snapshot();
    const [real1, real2] = await imagesOf("Real Tom Cruise");
    const [fake1] = await imagesOf("Deepfake Tom Cruise");
    await applyCleaning({ projectDir, config, decisions: [
      { file: real1, action: "delete" },
      { file: real2, action: "relabel", label: "Deepfake Tom Cruise" },
      { file: fake1, action: "relabel", label: "Real Tom Cruise" },
    ] });
    assert.notDeepEqual(await snapshot(), before);
    const undone = await undoLastCleaning({ projectDir, config });
    assert.equal(undone.restored, 3);
    assert.deepEqual(await snapshot(), before);
    await assert.rejects(undoLastCleaning({ projectDir, config }), /no cleaning to undo/);
  });

  it("never overwrites: a relabel onto a taken name gets a new name", async () => {
    const [real1] = await imagesOf("Real Tom Cruise");
    const clash = path.join(dataDir, "Deepfake Tom Cruise", path.basename(real1));
    await fs.writeFile(clash, "someone else's file");
    await applyCleaning({ projectDir, config, decisions: [{ file: real1, action: "relabel", label: "Deepfake Tom Cruise" }] });
    assert.equal(await fs.readFile(clash, "utf8"), "someone else's file");
    const renamed = clash.replace(/\.jpg$/, "-1.jpg");
    assert.ok((await fs.stat(renamed)).isFile());
    assert.ok((await readManifest(dataDir)).some((record) => record.file === `Deepfake Tom Cruise/${path.basename(renamed)}`));
  });

  it("refuses paths outside the dataset and unknown labels before changing anything", async () => {
    const before = await snapshot();
    const [real1] = await imagesOf("Real Tom Cruise");
    const outside = path.join(projectDir, "secret.txt");
    await fs.writeFile(outside, "x");
    for (const file of ["../secret.txt", "Real Tom Cruise/../../secret.txt", outside, ".trash/x/y.jpg", "Real Tom Cruise", "a/b/c.jpg"]) {
      await assert.rejects(
        applyCleaning({ projectDir, config, decisions: [{ file: real1, action: "delete" }, { file, action: "delete" }] }),
        (error: unknown) => error instanceof StudioError && ["path-outside-dataset", "file-missing"].includes(error.code),
        file,
      );
    }
    await fs.symlink(outside, path.join(dataDir, "Real Tom Cruise", "link.jpg"));
    await assert.rejects(applyCleaning({ projectDir, config, decisions: [{ file: "Real Tom Cruise/link.jpg", action: "delete" }] }), /outside the dataset/);
    await fs.unlink(path.join(dataDir, "Real Tom Cruise", "link.jpg"));
    await assert.rejects(applyCleaning({ projectDir, config, decisions: [{ file: real1, action: "relabel", label: "Cat" }] }), /no category "Cat"/);
    assert.deepEqual(await snapshot(), before);
    assert.equal(await fs.readFile(outside, "utf8"), "x");
  });

  it("lists a run's images per label and split, highest loss first, without files that are gone", async () => {
    const files = await writePredictions(projectDir, dataDir, [0.1, 2.5, 0.9, 0.05, 1.7]);
    const all = await listTopLosses({ projectDir, config });
    assert.deepEqual(all.items.map((item) => item.loss), [2.5, 1.7, 0.9, 0.1, 0.05]);
    const realValid = await listTopLosses({ projectDir, config, label: "Real Tom Cruise", split: "valid" });
    assert.deepEqual(realValid.items.map((item) => item.file), [files[2], files[0]]);
    await fs.unlink(path.join(dataDir, files[1]));
    assert.ok(!(await listTopLosses({ projectDir, config })).items.some((item) => item.file === files[1]));
  });

  it("works from the command line: show, apply, undo", async () => {
    const files = await writePredictions(projectDir, dataDir, [0.1, 2.5, 0.9, 0.05, 1.7]);
    const cli = (...args: string[]) => spawnSync(process.execPath, [path.resolve(__dirname, "../src/cli/main.js"), "-C", projectDir, "clean", ...args], { encoding: "utf8" });
    const show = cli("show", "--top", "2");
    assert.equal(show.status, 0, show.stderr);
    const lines = show.stdout.trim().split("\n");
    assert.match(lines[2], new RegExp(`^${files[1]}\\s+train\\s+Real Tom Cruise\\s+Deepfake Tom Cruise\\s+91\\.8%\\s+2\\.500$`));
    assert.equal(lines.length, 4);
    const before = await snapshot();
    const apply = cli("apply", "--delete", files[1], "--relabel", `${files[4]}=Real Tom Cruise`);
    assert.equal(apply.status, 0, apply.stderr);
    assert.match(apply.stdout, /Deleted 1 \(to the trash\), relabelled 1/);
    assert.notDeepEqual(await snapshot(), before);
    const undo = cli("undo");
    assert.equal(undo.status, 0, undo.stderr);
    assert.deepEqual(await snapshot(), before);
    const bad = cli("apply", "--delete", "../deepfake-studio.json");
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /not an image of the dataset/);
  });
});
