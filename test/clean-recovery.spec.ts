import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { applyCleaning } from "../src/core/clean/apply-cleaning";
import type { CleaningDecision } from "../src/core/clean/cleaning-decision";
import { listTopLosses } from "../src/core/clean/list-top-losses";
import { undoLastCleaning } from "../src/core/clean/undo-last-cleaning";
import { readManifest } from "../src/core/dataset/manifest";
import type { ProjectConfig } from "../src/core/project/project-config";
import { StudioError } from "../src/core/shared/errors";
import { hintForVsCode, readHintParts } from "../src/extension/next-steps";
import { datasetSnapshot, imagesOf, makeCleanProject, writePredictions } from "./support/clean-project";
import { makeTempDir, removeDir } from "./support/temp-dir";
import { mountTmpfs, type Tmpfs } from "./support/tmpfs";

const REAL = "Real Tom Cruise";
const FAKE = "Deepfake Tom Cruise";

/** Makes `folder` its own small tmpfs holding the same files, read-only (the tests run as root, here and in CI). */
async function makeReadOnlyFolder(folder: string): Promise<Tmpfs> {
  const aside = `${folder}.aside`;
  await fs.rename(folder, aside);
  const disk = await mountTmpfs(folder, 1024 * 1024);
  await fs.cp(aside, folder, { recursive: true });
  await fs.rm(aside, { recursive: true });
  disk.remount("ro");
  return disk;
}

/** Runs the built CLI on the project; a message for a person never carries a stack trace. */
function cli(projectDir: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [path.resolve(__dirname, "../src/cli/main.js"), "-C", projectDir, "clean", ...args], { encoding: "utf8" });
  assert.doesNotMatch(run.stderr, /^\s+at /m, `stack trace in: ${run.stderr}`);
  assert.doesNotMatch(run.stderr, /SyntaxError|Unexpected token|in JSON at position|ENOENT|EISDIR/, run.stderr);
  return run;
}

const rejectsWith = (code: string, message: RegExp) => (error: unknown) => {
  assert.ok(error instanceof StudioError, `expected a StudioError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  assert.match(error.message, message);
  return true;
};

/** The error names the damaged file, says how it is damaged, and what to do. */
const namesDamaged = (code: string, file: string, why: RegExp, hint: RegExp) => (error: unknown) => {
  assert.ok(error instanceof StudioError, String(error));
  assert.equal(error.code, code);
  assert.ok(error.message.includes(file), error.message);
  assert.match(error.message, why);
  assert.match(error.hint ?? "", hint);
  return true;
};

describe("cleaning: nothing lost, nothing misleading", function () {
  this.timeout(120_000);
  let projectDir: string;
  let dataDir: string;
  let config: ProjectConfig;
  let outsideDir: string;

  beforeEach(async () => {
    projectDir = await makeTempDir();
    outsideDir = await makeTempDir("dds-outside-");
    ({ dataDir, config } = await makeCleanProject(projectDir));
  });
  afterEach(async () => {
    await removeDir(projectDir);
    await removeDir(outsideDir);
  });

  const trashBatches = async () => fs.readdir(path.join(dataDir, ".trash")).catch(() => [] as string[]);

  it("checks every decision before moving anything: a folder named like a picture, a backslash path, one file twice", async () => {
    const before = await datasetSnapshot(dataDir);
    const [real1, real2] = await imagesOf(dataDir, REAL);
    await fs.mkdir(path.join(dataDir, REAL, "x.jpg"));
    const cases: Array<[CleaningDecision[], string, RegExp]> = [
      [[{ file: real1, action: "delete" }, { file: `${REAL}/x.jpg`, action: "delete" }], "not-a-file", /is a folder, not an image/],
      [[{ file: real1, action: "delete" }, { file: real2.replace("/", "\\"), action: "delete" }], "path-outside-dataset", /backslash/],
      [[{ file: real1, action: "delete" }, { file: real1.replace("/", "//"), action: "delete" }], "cleaning-conflict", /has two decisions/],
      [[{ file: real1, action: "relabel", label: FAKE }, { file: `${real1}/`, action: "delete" }], "cleaning-conflict", /has two decisions/],
    ];
    for (const [decisions, code, message] of cases) {
      await assert.rejects(applyCleaning({ projectDir, config, decisions }), rejectsWith(code, message), JSON.stringify(decisions));
      assert.deepEqual(await datasetSnapshot(dataDir), before, `changed by ${JSON.stringify(decisions)}`);
      assert.deepEqual(await trashBatches(), [], "a refused cleaning leaves no batch behind");
    }
    await assert.rejects(undoLastCleaning({ projectDir, config }), /no cleaning to undo/);

    const apply = cli(projectDir, "apply", "--delete", real1, `${REAL}/x.jpg`);
    assert.equal(apply.status, 1);
    assert.match(apply.stderr, /Error: "Real Tom Cruise\/x\.jpg" is a folder, not an image/);
    const twice = cli(projectDir, "apply", "--delete", real1, "--relabel", `${real1.replace("/", "//")}=${FAKE}`);
    assert.equal(twice.status, 1);
    assert.match(twice.stderr, /has two decisions/);
    assert.deepEqual(await datasetSnapshot(dataDir), before);
  });

  it("restores what it can when a picture is missing from the trash, and says which one and why", async () => {
    const before = await datasetSnapshot(dataDir);
    const [real1, real2] = await imagesOf(dataDir, REAL);
    const [fake1] = await imagesOf(dataDir, FAKE);
    const { batchId } = await applyCleaning({ projectDir, config, decisions: [
      { file: real1, action: "delete" },
      { file: real2, action: "delete" },
      { file: fake1, action: "relabel", label: REAL },
    ] });
    assert.ok(batchId);
    await fs.unlink(path.join(dataDir, ".trash", batchId, real1));

    const undo = cli(projectDir, "undo");
    assert.equal(undo.status, 1, "not everything came back, so the command does not report success");
    assert.match(undo.stdout, /Restored 2 file\(s\)/);
    assert.match(undo.stderr, new RegExp(`1 file\\(s\\) could not be restored:\\n  ${real1}: it is no longer in the trash`));
    const after = await datasetSnapshot(dataDir);
    const withoutReal1 = (lines: string[]) => lines.filter((line) => !line.includes(real1) && !line.startsWith("manifest.jsonl"));
    assert.deepEqual(withoutReal1(after.files), withoutReal1(before.files));
    assert.ok(!after.files.some((line) => line.includes(real1)));
    assert.deepEqual(after.manifest, withoutReal1(before.manifest), "the others are back in the manifest under their old label");
    assert.deepEqual(await trashBatches(), [], "the batch is finished: the next undo goes on with the one before");
  });

  it("never overwrites on undo: a picture whose old name was taken comes back beside it", async () => {
    const [real1, real2] = await imagesOf(dataDir, REAL);
    const originalBytes = await fs.readFile(path.join(dataDir, real1));
    const record = (await readManifest(dataDir)).find((line) => line.file === real1)!;
    await applyCleaning({ projectDir, config, decisions: [{ file: real1, action: "delete" }, { file: real2, action: "relabel", label: FAKE }] });
    await fs.writeFile(path.join(dataDir, real1), "a new picture by that name");
    await fs.writeFile(path.join(dataDir, real2), "another new one");
    const undone = await undoLastCleaning({ projectDir, config });
    assert.equal(undone.restored, 2);
    const beside = (file: string) => file.replace(/\.jpg$/, "-1.jpg");
    assert.deepEqual([...undone.renamed].sort(), [beside(real1), beside(real2)].sort());
    assert.equal(await fs.readFile(path.join(dataDir, real1), "utf8"), "a new picture by that name");
    assert.equal(await fs.readFile(path.join(dataDir, real2), "utf8"), "another new one");
    assert.deepEqual(await fs.readFile(path.join(dataDir, beside(real1))), originalBytes);
    const manifest = await readManifest(dataDir);
    assert.deepEqual(manifest.filter((line) => line.sha256 === record.sha256).map((line) => `${line.label}|${line.file}`), [`${REAL}|${beside(real1)}`]);
    assert.equal(manifest.find((line) => line.file === beside(real2))?.label, REAL);
    assert.ok(!manifest.some((line) => line.file.startsWith(FAKE) && line.file.endsWith(path.basename(real2))), "the relabelled line went back");
  });

  it("undoes a move stopped between its link and its unlink (the picture under both names) without a copy", async () => {
    const before = await datasetSnapshot(dataDir);
    const [real1] = await imagesOf(dataDir, REAL);
    const { batchId } = await applyCleaning({ projectDir, config, decisions: [{ file: real1, action: "delete" }] });
    await fs.link(path.join(dataDir, ".trash", batchId!, real1), path.join(dataDir, real1));
    const undone = await undoLastCleaning({ projectDir, config });
    assert.equal(undone.restored, 1);
    assert.deepEqual(undone.renamed, [], "not restored beside itself");
    assert.deepEqual(await datasetSnapshot(dataDir), before);
  });

  it("undoes a journal written before journals recorded hashes and manifest lines per move", async () => {
    const before = await datasetSnapshot(dataDir);
    const [real1, real2] = await imagesOf(dataDir, REAL);
    const manifest = await readManifest(dataDir);
    const { batchId } = await applyCleaning({ projectDir, config, decisions: [{ file: real1, action: "delete" }, { file: real2, action: "relabel", label: FAKE }] });
    const journalFile = path.join(dataDir, ".trash", batchId!, "journal.json");
    const journal = JSON.parse(await fs.readFile(journalFile, "utf8")) as { batchId: string; createdAt: string; moves: Array<Record<string, unknown>> };
    const legacy = {
      batchId: journal.batchId,
      createdAt: journal.createdAt,
      moves: journal.moves.map(({ action, from, to, fromLabel, toLabel }) => ({ action, from, to, fromLabel, ...(toLabel ? { toLabel } : {}) })),
      removedRecords: manifest.filter((record) => record.file === real1),
    };
    await fs.writeFile(journalFile, JSON.stringify(legacy));
    const undone = await undoLastCleaning({ projectDir, config });
    assert.equal(undone.restored, 2);
    assert.equal(undone.interrupted, false);
    assert.deepEqual(await datasetSnapshot(dataDir), before);
  });

  it("refuses a journal whose paths leave the dataset or go through a link, naming the journal and moving nothing", async () => {
    const [real1] = await imagesOf(dataDir, REAL);
    const name = path.basename(real1);
    const { batchId } = await applyCleaning({ projectDir, config, decisions: [{ file: real1, action: "delete" }] });
    assert.ok(batchId);
    const batchDir = path.join(dataDir, ".trash", batchId);
    const journalFile = path.join(batchDir, "journal.json");
    const journal = JSON.parse(await fs.readFile(journalFile, "utf8")) as { moves: Array<Record<string, unknown>> };
    const secret = path.join(outsideDir, "secret.jpg");
    await fs.writeFile(secret, "not the project's");
    await fs.symlink(outsideDir, path.join(batchDir, "Linked"));
    const trashed = `.trash/${batchId}/${REAL}/${name}`;
    const crafted: Array<Record<string, unknown>> = [
      { from: path.relative(dataDir, path.join(outsideDir, "stolen.jpg")), to: trashed },
      { from: `${REAL}/stolen.jpg`, to: path.relative(dataDir, secret) },
      { from: `${REAL}/stolen.jpg`, to: secret },
      { from: `${REAL}\\..\\..\\stolen.jpg`, to: trashed },
      { from: `${REAL}/stolen.jpg`, to: `.trash/${batchId}/Linked/secret.jpg` },
      { from: `${REAL}/stolen.jpg`, to: `.trash/20000101000000-aaaaaa/${REAL}/${name}` },
      { action: "relabel", from: `${REAL}/stolen.jpg`, to: `.trash/${batchId}/${REAL}/${name}` },
    ];
    const before = await datasetSnapshot(dataDir);
    for (const paths of crafted) {
      await fs.writeFile(journalFile, JSON.stringify({ ...journal, moves: [{ ...journal.moves[0], sha256: undefined, ...paths }] }));
      const message = new RegExp(`^The cleaning journal ${journalFile.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} .*nothing was restored`);
      await assert.rejects(undoLastCleaning({ projectDir, config }), rejectsWith("journal-untrusted", message), JSON.stringify(paths));
      assert.equal(await fs.readFile(secret, "utf8"), "not the project's");
      assert.deepEqual(await fs.readdir(outsideDir), ["secret.jpg"]);
      assert.ok((await fs.stat(path.join(dataDir, trashed))).isFile(), "the trashed picture stays in the trash");
      assert.deepEqual(await datasetSnapshot(dataDir), before);
    }
    await fs.writeFile(journalFile, JSON.stringify({ ...journal, moves: [{ ...journal.moves[0], ...crafted[4] }] }));
    const undo = cli(projectDir, "undo");
    assert.equal(undo.status, 1);
    assert.match(undo.stderr, new RegExp(`Error: The cleaning journal .*journal\\.json moves "\\.trash/${batchId}/Linked/secret\\.jpg" through the symbolic link`));
    assert.match(undo.stderr, /move them back into their label folders by hand/);
  });

  it("names a damaged journal.json or predictions.json and says what to do", async () => {
    const [real1] = await imagesOf(dataDir, REAL);
    const { batchId } = await applyCleaning({ projectDir, config, decisions: [{ file: real1, action: "delete" }] });
    const journalFile = path.join(dataDir, ".trash", batchId!, "journal.json");
    for (const [text, why] of [["{ \"batchId\": ", /not valid JSON/], ["", /it is empty/], ["{\"moves\": 3}", /not a cleaning journal/]] as const) {
      await fs.writeFile(journalFile, text);
      await assert.rejects(undoLastCleaning({ projectDir, config }), namesDamaged("journal-damaged", journalFile, why, /move them back .* by hand/));
    }
    const undo = cli(projectDir, "undo");
    assert.equal(undo.status, 1);
    assert.ok(undo.stderr.includes(`The cleaning journal ${journalFile} is damaged`), undo.stderr);

    await writePredictions(projectDir, dataDir, [0.1, 2.5, 0.9, 0.05, 1.7]);
    const predictionsFile = path.join(projectDir, "runs", "20261126-120000-abcd", "predictions.json");
    for (const [text, why] of [["[{\"file\": ", /not valid JSON/], ["{\"file\": 1}", /not a list of predictions/]] as const) {
      await fs.writeFile(predictionsFile, text);
      await assert.rejects(listTopLosses({ projectDir, config }), namesDamaged("predictions-damaged", predictionsFile, why, /Train again/));
    }
    // VS Code (the Cleaner) names its own Train command and no CLI flag.
    const damaged = (await listTopLosses({ projectDir, config }).catch((caught: unknown) => caught)) as StudioError;
    assert.equal(damaged.hint, "Train again (`deepfake-studio train`) to write a new run, or pick another run with --run.");
    assert.equal(hintForVsCode(readHintParts(damaged.hintParts) ?? []), "Train again (“Deepfake Studio: Train”) to write a new run.");
    const show = cli(projectDir, "show");
    assert.equal(show.status, 1);
    assert.ok(show.stderr.includes(`The predictions file of run 20261126-120000-abcd is damaged (it is not a list of predictions): ${predictionsFile}`), show.stderr);
    assert.match(show.stderr, /Train again/);
  });

  it("clean show refuses a wrong --top, --split or --category instead of printing an empty table", async () => {
    await writePredictions(projectDir, dataDir, [0.1, 2.5, 0.9, 0.05, 1.7]);
    const cases: Array<[string[], RegExp]> = [
      [["-n", "abc"], /argument 'abc' is invalid\. expected a whole number of 1 or more, got "abc"/],
      [["-n", "0"], /expected a whole number of 1 or more, got "0"/],
      [["-n", "2.5"], /expected a whole number of 1 or more, got "2\.5"/],
      [["-s", "bogus"], /argument 'bogus' is invalid\. Allowed choices are train, valid/],
      [["-c", "NoSuch"], /there is no category "NoSuch"\.\n {2}Use one of "Real Tom Cruise", "Deepfake Tom Cruise"\./],
    ];
    for (const [args, message] of cases) {
      const run = cli(projectDir, "show", ...args);
      assert.notEqual(run.status, 0, args.join(" "));
      assert.match(run.stderr, message);
      assert.equal(run.stdout, "", "no table");
    }
    await assert.rejects(listTopLosses({ projectDir, config, label: "NoSuch" }), rejectsWith("unknown-category", /no category "NoSuch"/));
    const good = cli(projectDir, "show", "-n", "1", "-s", "train", "-c", REAL);
    assert.equal(good.status, 0, good.stderr);
    assert.equal(good.stdout.trim().split("\n").length, 3);
  });
});

describe("cleaning when the disk fails part-way (tmpfs)", function () {
  this.timeout(300_000);
  let projectDir: string;
  const mounts: Tmpfs[] = [];

  beforeEach(async () => {
    projectDir = await makeTempDir();
    mounts.push(await mountTmpfs(projectDir, 4 * 1024 * 1024));
  });
  afterEach(async () => {
    for (const disk of mounts.splice(0).reverse()) await disk.unmount();
    await removeDir(projectDir);
  });

  it("a full disk at any step loses nothing: after freeing space, undo restores every picture and the manifest", async () => {
    const { dataDir, config } = await makeCleanProject(projectDir);
    const before = await datasetSnapshot(dataDir);
    const [real1, real2] = await imagesOf(dataDir, REAL);
    const [fake1] = await imagesOf(dataDir, FAKE);
    const decisions: CleaningDecision[] = [{ file: real1, action: "delete" }, { file: real2, action: "relabel", label: FAKE }, { file: fake1, action: "delete" }];
    const filler = path.join(projectDir, "filler.bin");
    const outcomes: string[] = [];
    // Leave 0, 1, 2, … free pages until the cleaning fits: each run stops at a later step (journal, manifest, …).
    for (let freePages = 0; ; freePages += 1) {
      assert.ok(freePages < 64, `the cleaning never fitted: ${outcomes.join(", ")}`);
      const { bavail, bsize } = await fs.statfs(projectDir);
      await fs.writeFile(filler, Buffer.alloc(Math.max(0, (bavail - freePages) * bsize), 1));
      const failure = await applyCleaning({ projectDir, config, decisions }).then(() => undefined, (error: unknown) => error);
      await fs.rm(filler);
      const undone = await undoLastCleaning({ projectDir, config }).catch((error: unknown) => error as Error);
      if (failure === undefined) {
        assert.ok(!(undone instanceof Error), String(undone));
        assert.equal(undone.restored, 3);
        outcomes.push("done");
      } else {
        assert.ok(failure instanceof StudioError, `a raw error: ${String(failure)}`);
        assert.equal(failure.code, "disk-full", failure.message);
        assert.match(failure.message, /The disk is full while writing/);
        if (undone instanceof Error) {
          assert.match(undone.message, /no cleaning to undo/);
          assert.match(failure.message, /^Nothing was cleaned/, "when there is nothing to undo, nothing may have moved");
          outcomes.push("refused");
        } else {
          assert.match(failure.message, /^The cleaning stopped/);
          assert.match(failure.hint ?? "", /clean undo/);
          assert.deepEqual(undone.notRestored, []);
          assert.equal(undone.interrupted, true);
          outcomes.push(`stopped after moving ${undone.restored}`);
        }
      }
      assert.deepEqual(await datasetSnapshot(dataDir), before, `with ${freePages} free page(s): ${outcomes.join(", ")}`);
      assert.deepEqual(await fs.readdir(path.join(dataDir, ".trash")).catch(() => []), [], "no batch is left behind");
      if (failure === undefined) break;
    }
    assert.equal(outcomes[0], "refused", "with no space at all the journal cannot be written, so nothing moves");
    assert.ok(outcomes.includes("stopped after moving 3"), `no run stopped after its moves: ${outcomes.join(", ")}`);
  });

  it("a move that fails part-way (a read-only label folder) is undone from the journal: moved pictures come back, the rest stay", async () => {
    const { dataDir, config } = await makeCleanProject(projectDir);
    const [real1, real2] = await imagesOf(dataDir, REAL);
    mounts.push(await makeReadOnlyFolder(path.join(dataDir, FAKE)));
    const before = await datasetSnapshot(dataDir);

    const failure = await applyCleaning({ projectDir, config, decisions: [{ file: real1, action: "delete" }, { file: real2, action: "relabel", label: FAKE }] })
      .then(() => undefined, (error: unknown) => error);
    assert.ok(failure instanceof StudioError, String(failure));
    assert.equal(failure.code, "not-writable");
    assert.match(failure.message, /^The cleaning stopped after moving 1 of 2 picture\(s\): Cannot write .*read-only/);
    assert.ok((failure.hint ?? "").includes("journal.json lists every move"), failure.hint);

    const undo = cli(projectDir, "undo");
    assert.equal(undo.status, 0, undo.stderr);
    assert.match(undo.stdout, /Restored 1 file\(s\) from cleaning .* \(it had stopped part-way; pictures it had not moved yet were left where they are\)/);
    assert.deepEqual(await datasetSnapshot(dataDir), before);
  });

  it("an undo that cannot write a picture back says so, keeps the journal of it, and a second undo finishes", async () => {
    const { dataDir, config } = await makeCleanProject(projectDir);
    const before = await datasetSnapshot(dataDir);
    const [real1] = await imagesOf(dataDir, REAL);
    const [fake1] = await imagesOf(dataDir, FAKE);
    await applyCleaning({ projectDir, config, decisions: [{ file: real1, action: "delete" }, { file: fake1, action: "delete" }] });
    const realDisk = await makeReadOnlyFolder(path.join(dataDir, REAL));
    mounts.push(realDisk);

    const first = cli(projectDir, "undo");
    assert.equal(first.status, 1);
    assert.match(first.stdout, /Restored 1 file\(s\)/);
    assert.match(first.stderr, new RegExp(`1 file\\(s\\) could not be restored:\\n  ${real1}: Cannot write .* read-only`));
    assert.match(first.stderr, /run `deepfake-studio clean undo` again: the journal of those files is kept/);
    assert.ok((await fs.readdir(path.join(dataDir, FAKE))).includes(path.basename(fake1)));

    realDisk.remount("rw");
    const second = await undoLastCleaning({ projectDir, config });
    assert.equal(second.restored, 1);
    assert.deepEqual(second.notRestored, []);
    assert.deepEqual(await datasetSnapshot(dataDir), before);
    assert.deepEqual(await fs.readdir(path.join(dataDir, ".trash")), []);
  });
});
