import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { readManifest } from "../src/core/dataset/manifest";
import { importFolder } from "../src/core/gather/import-folder";
import { CONFIG_FILE_NAME, defaultProjectConfig, initProject, loadProjectConfig, parseProjectConfig } from "../src/core/project/project-config";
import { ConfigError, describeFsError, StudioError } from "../src/core/shared/errors";
import { labelToFolderName } from "../src/core/shared/labels";
import { hostileImages, makePhoto } from "./fixtures/make-images";
import { makeTempDir, removeDir } from "./support/temp-dir";

const CLI = path.resolve(__dirname, "../src/cli/main.js");

describe("project file", () => {
  let dir: string;
  beforeEach(async () => { dir = await makeTempDir(); });
  afterEach(async () => removeDir(dir));

  it("init writes the seed's defaults and never overwrites", async () => {
    await initProject({ projectDir: dir });
    const config = await loadProjectConfig(dir);
    assert.deepEqual(config.categories, [
      { label: "Deepfake Tom Cruise", search: "Deepfake Tom Cruise photo" },
      { label: "Real Tom Cruise", search: "Tom Cruise photo" },
    ]);
    assert.equal(config.maxImages, 200);
    assert.equal(config.resizeMax, 400);
    assert.equal(config.dataDir, "data");
    await fs.writeFile(path.join(dir, CONFIG_FILE_NAME), JSON.stringify({ ...defaultProjectConfig(), maxImages: 7 }));
    await assert.rejects(initProject({ projectDir: dir }), (error: unknown) => error instanceof ConfigError && /already exists/.test(error.message));
    assert.equal((await loadProjectConfig(dir)).maxImages, 7);
  });

  it("names the bad field in every validation error", () => {
    const base = defaultProjectConfig();
    const cases: Array<[unknown, RegExp]> = [
      [{ ...base, maxImages: "many" }, /field "maxImages" must be number, not string/],
      [{ ...base, resizeMax: 10 }, /field "resizeMax"/],
      [{ ...base, categories: [{ label: "only one" }] }, /field "categories" needs at least two categories/],
      [{ ...base, categories: [{ label: "a" }, { label: "" }] }, /field "categories\[1\]\.label"/],
      [{ ...base, categories: [{ label: "a" }, { label: "b", serch: "x" }] }, /field "categories\[1\]" has unknown key\(s\) "serch"/],
      [{ ...base, categories: [{ label: "Real" }, { label: "real" }] }, /field "categories\[1\]\.label" \("real"\) would share the folder/],
      [{ ...base, download: { timeoutSeconds: -1 } }, /field "download\.timeoutSeconds"/],
      [{ ...base, colour: "red" }, /field "\(root\)" has unknown key\(s\) "colour"/],
    ];
    for (const [raw, expected] of cases) {
      assert.throws(() => parseProjectConfig(raw), (error: unknown) => error instanceof ConfigError && expected.test(error.message), String(expected));
    }
  });

  it("explains a missing or broken project file", async () => {
    await assert.rejects(loadProjectConfig(dir), (error: unknown) => error instanceof ConfigError && /deepfake-studio init/.test(error.hint ?? ""));
    await fs.writeFile(path.join(dir, CONFIG_FILE_NAME), "{ not json");
    await assert.rejects(loadProjectConfig(dir), /not valid JSON/);
  });
});

describe("labels as folder names", () => {
  it("strips separators, traversal and reserved names", () => {
    assert.equal(labelToFolderName("Real Tom Cruise"), "Real Tom Cruise");
    assert.equal(labelToFolderName("../../etc/passwd"), "_.._etc_passwd");
    assert.equal(labelToFolderName("a\\b/c"), "a_b_c");
    assert.equal(labelToFolderName("CON"), "CON_");
    assert.equal(labelToFolderName("lpt1.txt"), "lpt1.txt_");
    assert.throws(() => labelToFolderName("..."), StudioError);
    assert.equal(labelToFolderName("trailing. "), "trailing");
    assert.equal(labelToFolderName("x".repeat(200)).length, 80);
    assert.throws(() => labelToFolderName("///"), StudioError);
    assert.throws(() => labelToFolderName("   "), StudioError);
    assert.throws(() => labelToFolderName(".."), StudioError);
    for (const label of ["a/../b", "C:\\x", "tab\there", "..x", "x.."]) {
      const folder = labelToFolderName(label);
      assert.ok(!folder.includes("/") && !folder.includes("\\") && folder !== ".." && folder !== "." && !folder.includes("\t"), `${label} → ${folder}`);
    }
  });
});

describe("file-system failures", () => {
  it("turns a full disk and a read-only folder into actionable messages", () => {
    const full = describeFsError(Object.assign(new Error("no space"), { code: "ENOSPC" }), "/data/x.jpg");
    assert.ok(full instanceof StudioError && full.code === "disk-full" && /Free some space/.test(full.hint ?? ""));
    const readOnly = describeFsError(Object.assign(new Error("ro"), { code: "EROFS" }), "/data/x.jpg");
    assert.ok(readOnly instanceof StudioError && readOnly.code === "not-writable" && /writable/.test(readOnly.hint ?? ""));
  });
});

describe("import", function () {
  this.timeout(60_000);
  let projectDir: string;
  let photos: string;

  beforeEach(async () => {
    projectDir = await makeTempDir();
    photos = await makeTempDir("dds-photos-");
    await initProject({ projectDir, config: parseProjectConfig({ categories: [{ label: "Real" }, { label: "Deepfake" }] }) });
    await fs.mkdir(path.join(photos, "trip", ".hidden"), { recursive: true });
    for (const seed of [1, 2, 3]) await fs.writeFile(path.join(photos, `photo-${seed}.jpeg`), await makePhoto(seed));
    await fs.writeFile(path.join(photos, "trip", "IMG_0004.PNG.txt"), await makePhoto(4)); // the name lies; decoding decides
    await fs.writeFile(path.join(photos, "trip", "copy-of-1.jpg"), await makePhoto(1));
    await fs.writeFile(path.join(photos, "trip", "notes.txt"), "not an image");
    await fs.writeFile(path.join(photos, "trip", "broken.jpg"), (await hostileImages.truncatedJpeg()).body);
    await fs.writeFile(path.join(photos, "trip", ".hidden", "secret.jpg"), await makePhoto(5));
    await fs.writeFile(path.join(photos, ".DS_Store"), "junk");
  });
  afterEach(async () => {
    await removeDir(projectDir);
    await removeDir(photos);
  });

  it("runs local photos through the same verify/resize/dedupe/manifest pipeline", async () => {
    const config = await loadProjectConfig(projectDir);
    const report = await importFolder({ projectDir, config, folder: photos, label: "Real" });
    const [row] = report.categories;
    assert.equal(row.found, 7, "hidden files and folders are not counted");
    assert.equal(row.kept, 4);
    assert.equal(row.duplicates, 1);
    assert.deepEqual(row.failed, { "not-an-image": 1, truncated: 1 });
    const manifest = await readManifest(path.join(projectDir, "data"));
    assert.equal(manifest.length, 4);
    assert.ok(manifest.every((record) => record.source === "import" && record.label === "Real" && record.originalPath?.startsWith(photos)));
    assert.ok(manifest.some((record) => record.originalPath?.endsWith("IMG_0004.PNG.txt")));
    assert.ok(!manifest.some((record) => record.originalPath?.includes(".hidden")), "hidden folders are left alone");

    const again = await importFolder({ projectDir, config, folder: photos, label: "Real" });
    assert.equal(again.categories[0].alreadyKnown, 7);
    assert.equal(again.categories[0].kept, 0);
    assert.equal((await readManifest(path.join(projectDir, "data"))).length, 4);
  });

  it("reports the same picture under two labels instead of keeping both", async () => {
    const config = await loadProjectConfig(projectDir);
    await importFolder({ projectDir, config, folder: photos, label: "Real" });
    const other = await makeTempDir("dds-other-");
    try {
      await fs.writeFile(path.join(other, "looks-fake.jpg"), await makePhoto(2));
      const report = await importFolder({ projectDir, config, folder: other, label: "Deepfake" });
      assert.equal(report.categories[0].crossCategory, 1);
      assert.equal(report.categories[0].kept, 0);
      assert.equal(report.conflicts[0].otherLabel, "Real");
    } finally {
      await removeDir(other);
    }
  });

  it("refuses unknown labels, missing folders and the data folder itself", async () => {
    const config = await loadProjectConfig(projectDir);
    await assert.rejects(importFolder({ projectDir, config, folder: photos, label: "Nope" }), /No category "Nope"/);
    await assert.rejects(importFolder({ projectDir, config, folder: path.join(photos, "missing"), label: "Real" }), /does not exist/);
    await fs.mkdir(path.join(projectDir, "data", "Real"), { recursive: true });
    await assert.rejects(importFolder({ projectDir, config, folder: path.join(projectDir, "data", "Real"), label: "Real" }), /inside the project's data folder/);
  });

  it("works from the command line and prints the final table", () => {
    const run = spawnSync(process.execPath, [CLI, "--project", projectDir, "import", photos, "--label", "Real"], { encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /category\s+found\s+known\s+fetched\s+failed\s+duplicates\s+cross-label\s+kept\s+total/);
    assert.match(run.stdout, /Real\s+7\s+0\s+7\s+2\s+1\s+0\s+4\s+4/);
    assert.match(run.stdout, /failed \(Real\): not-an-image 1, truncated 1/);
    const bad = spawnSync(process.execPath, [CLI, "--project", projectDir, "import", photos, "--label", "Nope"], { encoding: "utf8" });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^Error: No category "Nope"/);
    assert.doesNotMatch(bad.stderr, /\n\s+at /, "no stack trace");
  });
});
