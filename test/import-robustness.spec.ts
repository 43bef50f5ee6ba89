// Import and the project file never lose or mislead: the data folder stays in the project, every picture's fate is
// said once and agrees with the disk, one vanished file does not stop the rest, and file-system failures read as words.
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { promises as fs, rmSync } from "node:fs";
import * as path from "node:path";
import { deflateSync } from "node:zlib";
import sharp from "sharp";
import { readManifest } from "../src/core/dataset/manifest";
import { importFolder } from "../src/core/gather/import-folder";
import { processImage, ImageRejectedError } from "../src/core/shared/process-image";
import { CONFIG_FILE_NAME, initProject, loadProjectConfig, parseProjectConfig, resolveDataDir } from "../src/core/project/project-config";
import { ConfigError, describeUnexpectedFsError, StudioError } from "../src/core/shared/errors";
import type { ProgressEvent } from "../src/core/shared/progress";
import { makePhoto } from "./fixtures/make-images";
import { listTree, makeTempDir, removeDir } from "./support/temp-dir";
import { mountTmpfs, type Tmpfs } from "./support/tmpfs";

const CLI = path.resolve(__dirname, "../src/cli/main.js");
const TWO_LABELS = { categories: [{ label: "Real" }, { label: "Deepfake" }] };

function cli(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });
}

/** Exit 1 with a message in words: no stack trace, no bare "ENOENT: …" or "EROFS: …". */
function assertWordsOnly(run: ReturnType<typeof cli>, expected: RegExp): void {
  assert.equal(run.status, 1, `exit status; stderr: ${run.stderr}`);
  assert.match(run.stderr, expected);
  assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
  assert.doesNotMatch(run.stderr, /\bE[A-Z]{3,}\b:/, "no bare errno text");
}

/** A PNG that is only a header (and an empty-ish first row) claiming width × height pixels. */
function pngHeader(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc32 = (bytes: Buffer) => {
    let crc = 0xffffffff;
    for (const byte of bytes) crc = crcTable[(crc ^ byte) & 0xff] ^ (crc >>> 8);
    return (crc ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([Buffer.from("89504e470d0a1a0a", "hex"), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(Buffer.alloc(width * 3 + 1))), chunk("IEND", Buffer.alloc(0))]);
}

describe("the data folder stays inside the project", () => {
  let projectDir: string;
  let outside: string;
  beforeEach(async () => {
    projectDir = await makeTempDir();
    outside = await makeTempDir("dds-outside-");
  });
  afterEach(async () => {
    await removeDir(projectDir);
    await removeDir(outside);
  });

  it("refuses an absolute dataDir or one that climbs out with .., naming the field", () => {
    for (const dataDir of ["../outside", "/srv/data", "data/../../x", "..", "C:\\data", "..\\x"]) {
      assert.throws(
        () => parseProjectConfig({ ...TWO_LABELS, dataDir }),
        (error: unknown) => error instanceof ConfigError && error.field === "dataDir" && /field "dataDir" must be a folder inside the project/.test(error.message),
        dataDir,
      );
    }
    for (const dataDir of ["data", "sets/faces", "sub/../data", "./data"]) assert.equal(parseProjectConfig({ ...TWO_LABELS, dataDir }).dataDir, dataDir);
  });

  it("refuses a dataDir that leads outside through a symbolic link, and writes nothing there", async () => {
    const photos = await makeTempDir("dds-photos-");
    try {
      await fs.writeFile(path.join(photos, "a.jpg"), await makePhoto(1, 200, 150));
      await initProject({ projectDir, config: parseProjectConfig(TWO_LABELS) });
      await fs.symlink(outside, path.join(projectDir, "data"));
      const config = await loadProjectConfig(projectDir);
      await assert.rejects(importFolder({ projectDir, config, folder: photos, label: "Real" }), (error: unknown) =>
        error instanceof ConfigError && error.field === "dataDir" && /field "dataDir" \("data"\) leads through a symbolic link outside the project folder/.test(error.message));
      // The link may also sit higher up, above a folder that does not exist yet.
      await fs.symlink(outside, path.join(projectDir, "store"));
      assert.throws(() => resolveDataDir(projectDir, { ...config, dataDir: "store/data" }), /symbolic link outside/);
      // And a link to a folder that does not exist yet (mkdir would create it outside).
      await fs.symlink(path.join(outside, "later"), path.join(projectDir, "dangling"));
      assert.throws(() => resolveDataDir(projectDir, { ...config, dataDir: "dangling" }), /symbolic link outside/);

      const run = cli("--project", projectDir, "import", photos, "--label", "Real");
      assertWordsOnly(run, /field "dataDir".*outside the project folder/);
      assert.deepEqual(await listTree(outside), [], "nothing was written outside the project");

      // A link that stays inside the project is fine.
      await fs.rm(path.join(projectDir, "data"));
      await fs.mkdir(path.join(projectDir, "real-data"));
      await fs.symlink(path.join(projectDir, "real-data"), path.join(projectDir, "data"));
      const report = await importFolder({ projectDir, config, folder: photos, label: "Real" });
      assert.equal(report.categories[0].kept, 1);
    } finally {
      await removeDir(photos);
    }
  });

  it("a project file edited to point outside is refused on load, from the command line too", async () => {
    await initProject({ projectDir, config: parseProjectConfig(TWO_LABELS) });
    await fs.writeFile(path.join(projectDir, CONFIG_FILE_NAME), JSON.stringify({ ...TWO_LABELS, dataDir: outside }));
    assertWordsOnly(cli("--project", projectDir, "import", outside, "--label", "Real"), /field "dataDir" must be a folder inside the project/);
    assert.deepEqual(await listTree(outside), []);
  });
});

describe("import says what happened to each picture", function () {
  this.timeout(60_000);
  let projectDir: string;
  let realPhotos: string;
  let fakePhotos: string;
  beforeEach(async () => {
    projectDir = await makeTempDir();
    realPhotos = await makeTempDir("dds-real-");
    fakePhotos = await makeTempDir("dds-fake-");
    await initProject({ projectDir, config: parseProjectConfig(TWO_LABELS) });
  });
  afterEach(async () => {
    for (const dir of [projectDir, realPhotos, fakePhotos]) await removeDir(dir);
  });

  it("the same pictures under two labels: message, table, manifest and disk agree", async () => {
    for (const seed of [1, 2, 3]) await fs.writeFile(path.join(realPhotos, `photo-${seed}.jpg`), await makePhoto(seed));
    assert.equal(cli("--project", projectDir, "import", realPhotos, "--label", "Real").status, 0);
    // The very same file, a re-saved copy (same picture, other pixels), and a new picture.
    await fs.copyFile(path.join(realPhotos, "photo-1.jpg"), path.join(fakePhotos, "same.jpg"));
    await fs.writeFile(path.join(fakePhotos, "resaved.jpg"), await sharp(await makePhoto(2)).jpeg({ quality: 60 }).toBuffer());
    await fs.writeFile(path.join(fakePhotos, "new.jpg"), await makePhoto(5));

    const run = cli("--project", projectDir, "import", fakePhotos, "--label", "Deepfake");
    assert.equal(run.status, 0, run.stderr);
    // found known fetched failed duplicates cross-label kept total
    assert.match(run.stdout, /Deepfake\s+3\s+0\s+3\s+0\s+0\s+1\s+2\s+2\n/);
    assert.doesNotMatch(run.stdout, /only the first/);
    const sameLines = run.stdout.split("\n").filter((line) => line.includes("same.jpg"));
    const resavedLines = run.stdout.split("\n").filter((line) => line.includes("resaved.jpg"));
    assert.equal(sameLines.length, 1, run.stdout);
    assert.equal(resavedLines.length, 1, run.stdout);
    assert.doesNotMatch(run.stdout, /new\.jpg/, "a picture without a conflict needs no line");
    assert.match(sameLines[0], /was not added to "Deepfake": it is the same picture as Real\/\w+\.jpg, already under "Real"/);
    const kept = /was added to "Deepfake" as (Deepfake\/\w+\.jpg), and it looks very like (Real\/\w+\.jpg) under "Real".*both are kept/.exec(resavedLines[0]);
    assert.ok(kept, resavedLines[0]);

    const dataDir = path.join(projectDir, "data");
    const manifest = await readManifest(dataDir);
    const files = (label: string) => manifest.filter((record) => record.label === label).map((record) => record.file).sort();
    assert.equal(files("Real").length, 3);
    assert.equal(files("Deepfake").length, 2);
    assert.ok(files("Deepfake").includes(kept[1]) && files("Real").includes(kept[2]));
    assert.ok(!manifest.some((record) => record.originalPath?.endsWith("same.jpg")), "the same picture is not in the manifest twice");
    const onDisk = await listTree(dataDir);
    assert.deepEqual(onDisk.filter((file) => file.startsWith("Deepfake/")), files("Deepfake"));
    assert.deepEqual(onDisk.filter((file) => file.startsWith("Real/")), files("Real"));
  });
});

describe("import keeps going and explains what it left out", function () {
  this.timeout(60_000);
  let projectDir: string;
  let photos: string;
  beforeEach(async () => {
    projectDir = await makeTempDir();
    photos = await makeTempDir("dds-photos-");
    await initProject({ projectDir, config: parseProjectConfig(TWO_LABELS) });
  });
  afterEach(async () => {
    await removeDir(projectDir);
    await removeDir(photos);
  });

  it("a file deleted while the import runs is skipped and reported; the rest is imported", async () => {
    for (let seed = 1; seed <= 8; seed++) await fs.writeFile(path.join(photos, `photo-${seed}.jpg`), await makePhoto(seed, 240, 180));
    const doomed = path.join(photos, "photo-8.jpg");
    const events: ProgressEvent[] = [];
    const config = await loadProjectConfig(projectDir);
    const report = await importFolder({
      projectDir,
      config,
      folder: photos,
      label: "Real",
      onProgress: (event) => {
        events.push(event);
        // After the listing, before the last file is read: at most four files are in flight.
        if (event.event === "progress" && event.done === 1) rmSync(doomed);
      },
    });
    const [row] = report.categories;
    assert.equal(row.found, 8);
    assert.deepEqual(row.failed, { vanished: 1 });
    assert.equal(row.kept, 7);
    assert.equal(row.total, 7);
    const warnings = events.filter((event) => event.event === "warning").map((event) => event.message);
    assert.ok(warnings.some((message) => message.includes(doomed) && /deleted or moved while the import ran/.test(message)), warnings.join("\n"));
    assert.equal((await readManifest(path.join(projectDir, "data"))).length, 7);
  });

  it("a folder of only symbolic links and hidden files says what it skipped and why", async () => {
    const elsewhere = await makeTempDir("dds-elsewhere-");
    try {
      for (const seed of [1, 2]) {
        await fs.writeFile(path.join(elsewhere, `photo-${seed}.jpg`), await makePhoto(seed, 200, 150));
        await fs.symlink(path.join(elsewhere, `photo-${seed}.jpg`), path.join(photos, `link-${seed}.jpg`));
      }
      await fs.writeFile(path.join(photos, ".thumbnail.jpg"), await makePhoto(3, 200, 150));
      const events: ProgressEvent[] = [];
      const report = await importFolder({ projectDir, config: await loadProjectConfig(projectDir), folder: photos, label: "Real", onProgress: (event) => events.push(event) });
      assert.deepEqual(report.categories[0].ignored, { "symbolic-link": 2, hidden: 1 });
      const warnings = events.filter((event) => event.event === "warning").map((event) => event.message).join("\n");
      assert.match(warnings, /Not read: 2 symbolic links \(links are not followed[^)]*\), 1 hidden file/);

      const run = cli("--project", projectDir, "import", photos, "--label", "Real");
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stderr, /Importing 0 files/);
      assert.match(run.stderr, /warning: Not read: 2 symbolic links \(links are not followed/);
      assert.match(run.stdout, /not read \(Real\): 2 symbolic links \(links are not followed; copy the pictures themselves into the folder\), 1 hidden file/);
    } finally {
      await removeDir(elsewhere);
    }
  });

  it("a 900-megapixel PNG is refused as too large from its header, not as damaged", async () => {
    const huge = pngHeader(30_000, 30_000);
    await assert.rejects(processImage(huge, { resizeMax: 400 }), (error: unknown) =>
      error instanceof ImageRejectedError && error.reason === "too-many-pixels" && /30000×30000 = 900,000,000 pixels, more than the limit of 40,000,000/.test(error.message));
    await fs.writeFile(path.join(photos, "huge.png"), huge);
    const report = await importFolder({ projectDir, config: await loadProjectConfig(projectDir), folder: photos, label: "Real" });
    assert.deepEqual(report.categories[0].failed, { "too-many-pixels": 1 });
  });
});

describe("file-system failures read as words on the command line", function () {
  this.timeout(60_000);
  let mountPoint: string;
  let disk: Tmpfs | undefined;
  let photos: string;
  before(async () => {
    mountPoint = await makeTempDir("dds-readonly-");
    photos = await makeTempDir("dds-photos-");
    await fs.writeFile(path.join(photos, "a.jpg"), await makePhoto(1, 200, 150));
    disk = await mountTmpfs(mountPoint, 256 * 1024);
    await initProject({ projectDir: mountPoint, config: parseProjectConfig({ ...TWO_LABELS, categories: [{ label: "Real", search: "real photo" }, { label: "Deepfake" }] }) });
    // A project whose killed run left a temp file: clearing it is the first write (an rmdir).
    await initProject({ projectDir: path.join(mountPoint, "leftovers"), config: parseProjectConfig(TWO_LABELS) });
    await fs.mkdir(path.join(mountPoint, "leftovers", "data", ".tmp"), { recursive: true });
    await fs.writeFile(path.join(mountPoint, "leftovers", "data", ".tmp", "x.jpg.part"), "half");
    disk.remount("ro");
  });
  after(async () => {
    await disk?.unmount();
    await removeDir(mountPoint);
    await removeDir(photos);
  });

  it("a read-only project folder: import, gather and init say so", async () => {
    assertWordsOnly(cli("--project", mountPoint, "import", photos, "--label", "Real"), /Cannot write .*data: it is on a read-only disk/);
    // gather fails on the data folder before it searches anything.
    assertWordsOnly(cli("--project", mountPoint, "gather"), /Cannot write .*data: it is on a read-only disk/);
    assertWordsOnly(cli("--project", path.join(mountPoint, "new-project"), "init"), /Cannot write .*new-project: it is on a read-only disk/);
    assertWordsOnly(cli("--project", path.join(mountPoint, "a", "b"), "init"), /Cannot write .*b: it is on a read-only disk/);
    assertWordsOnly(cli("--project", path.join(mountPoint, "leftovers"), "import", photos, "--label", "Real"), /Cannot write .*\.tmp: it is on a read-only disk/);
    assert.deepEqual(await listTree(mountPoint), [CONFIG_FILE_NAME, "leftovers/data/.tmp/x.jpg.part", `leftovers/${CONFIG_FILE_NAME}`]);
  });

  it("a raw recursive mkdir on a read-only disk (reported by Node as ENOENT) reaching the surface says read-only", async () => {
    const error = await fs.mkdir(path.join(mountPoint, "space", "assets"), { recursive: true }).catch((caught: unknown) => caught);
    assert.equal((error as NodeJS.ErrnoException).code, "ENOENT");
    assert.match(describeUnexpectedFsError(error).message, /^Cannot write .*space: it is on a read-only disk\.$/);
  });

  it("a file given as the project folder is called a file", async () => {
    const file = path.join(photos, "a.jpg");
    for (const command of [["init"], ["import", photos, "--label", "Real"], ["train"], ["space"]]) {
      assertWordsOnly(cli("--project", file, ...command), /a\.jpg is a file, not a project folder/);
    }
  });

  it("an errno error that reaches the surface is put in words", async () => {
    const missing = path.join(photos, "missing.txt");
    const error = await fs.readFile(missing).catch((caught: unknown) => caught);
    const described = describeUnexpectedFsError(error);
    assert.ok(described instanceof StudioError);
    assert.equal(described.message, `Could not open ${missing}: it does not exist (or a folder above it is missing).`);
    const plain = new Error("not a file-system error");
    assert.equal(describeUnexpectedFsError(plain), plain);
  });
});
