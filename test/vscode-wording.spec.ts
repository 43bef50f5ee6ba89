/**
 * Inside VS Code, messages name VS Code commands and settings, never CLI flags (issue 12, item 14): core hints carry
 * their flags as CLI-only parts, and a sweep of src/core finds no flag left in a string a front end could show.
 * Also the project file's fakeLabel, VS Code's way to say what --fake-label says.
 */
import { strict as assert } from "node:assert";
import { promises as fs, readdirSync, readFileSync } from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { HubApiError } from "@huggingface/hub";
import * as ts from "typescript";
import { checkExportDestination } from "../src/core/export/check-export-destination";
import { createHubFetch } from "../src/core/hub/create-hub-fetch";
import { deploySpace } from "../src/core/hub/deploy-space";
import { describeHubError } from "../src/core/hub/describe-hub-error";
import { initProject, loadProjectConfig, parseProjectConfig } from "../src/core/project/project-config";
import { readProjectFakeLabel } from "../src/core/project/read-project-fake-label";
import { setFakeLabel } from "../src/core/project/set-fake-label";
import type { StudioError } from "../src/core/shared/errors";
import { resolveFakeLabel } from "../src/core/shared/resolve-fake-label";
import { createSpace } from "../src/core/space/create-space";
import { resolveSelfBlend } from "../src/core/synthesize/training-fakes";
import { describeJobStartError } from "../src/core/train/engines/hf-jobs/hf-jobs-errors";
import type { NextStep } from "../src/core/shared/hint";
import { hintCommands, hintForVsCode, isTransientCode, readHintParts, stepCommand } from "../src/extension/next-steps";
import { makeFakeProject } from "./fixtures/fake-export";
import { runCli } from "./support/run-cli";
import { makeTempDir, removeDir } from "./support/temp-dir";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
/** A command-line flag in a sentence: "--engine", "`--out`", "(--sdk". */
const FLAG = /(^|[\s(`'"])--[a-z]/;
/** A flag, or a quoted command line of the CLI. */
const FLAG_OR_COMMAND = /(^|[\s(`'"])--[a-z]|`(deepfake-studio [a-z]|clean (undo|apply|show))/;

/** What VS Code makes of a core error: its text and its buttons (title, command). */
function inVsCode(error: unknown): { text: string; buttons: string[][] } {
  const parts = readHintParts((error as StudioError).hintParts);
  assert.ok(parts, `the hint of ${(error as StudioError).code} has parts: ${(error as StudioError).hint}`);
  return { text: hintForVsCode(parts), buttons: hintCommands(parts).map((command) => [command.title, command.command ?? ""]) };
}

async function caught(promise: Promise<unknown> | (() => unknown)): Promise<StudioError> {
  try {
    await (typeof promise === "function" ? promise() : promise);
  } catch (error) {
    return error as StudioError;
  }
  assert.fail("expected an error");
}

describe("VS Code wording: no CLI flag in a message VS Code shows", () => {
  let tmp: string;
  before(async () => {
    tmp = await makeTempDir("dds-vscode-wording-");
  });
  after(async () => {
    await removeDir(tmp);
  });

  it("Jobs refused (402/403, 429): the other engines are the project file's train.engine in VS Code, --engine on the command line", () => {
    const hub = (status: number) => new HubApiError("https://huggingface.co/api/jobs/bob", status, "req-1", `Api error with status ${status}`);
    for (const status of [402, 429]) {
      const error = describeJobStartError(hub(status), "bob", "t4-small") as StudioError;
      assert.match(error.hint ?? "", /with the torch engine \(your PyTorch\) or the studio engine \(no Python\): --engine torch or --engine studio\.$/);
      const { text } = inVsCode(error);
      assert.match(text, /with the torch engine \(your PyTorch\) or the studio engine \(no Python\): set train\.engine in deepfake-studio\.json to "torch" or "studio"\.$/);
      assert.doesNotMatch(text, FLAG);
    }
    const token = inVsCode(describeJobStartError(hub(401), "bob", "t4-small"));
    assert.deepEqual(token.buttons, [["Set Hugging Face Token", "deepfakeStudio.setToken"]]);
    assert.doesNotMatch(token.text, /HF_TOKEN/);
  });

  it("an export folder that is not the studio's, a Space folder that is a file, a bad Space name: no --out or --space in VS Code", async () => {
    const projectDir = path.join(tmp, "destinations");
    const outDir = path.join(projectDir, "export");
    await fs.mkdir(outDir, { recursive: true });
    await fs.writeFile(path.join(outDir, "notes.txt"), "mine");
    const refused = await caught(checkExportDestination({ outDir, projectDir, protectedDirs: [path.join(projectDir, "data")], defaultDir: outDir }));
    assert.equal(refused.code, "out-dir-refused", String(refused));
    assert.match(refused.hint ?? "", /--out/);
    assert.equal(inVsCode(refused).text, "Move that folder away, then export again.");

    const project = await makeFakeProject({ dir: path.join(tmp, "space-file") });
    await fs.writeFile(path.join(project.projectDir, "space"), "a file");
    const file = await caught(createSpace({ projectDir: project.projectDir }));
    assert.equal(file.code, "space-out-invalid", String(file));
    assert.match(file.hint ?? "", /--out/);
    assert.equal(inVsCode(file).text, "Move that file away.");

    const name = await caught(deploySpace({ spaceDir: path.join(projectDir, "space"), repo: "not a name", sdk: "static", accessToken: "hf_x" }));
    assert.match(name.hint ?? "", /e\.g\. --space alice\/deepfake-detector\.$/);
    assert.match(inVsCode(name).text, /e\.g\. alice\/deepfake-detector\.$/);
  });

  it("two labels containing \"fake\": the CLI says --fake-label, VS Code names fakeLabel and offers Choose Fake Label…", () => {
    const labels = ["fake swap", "fake gan", "real"];
    const ambiguous = caughtSync(() => resolveFakeLabel({ labels }));
    assert.equal(ambiguous.code, "fake-label-ambiguous");
    assert.equal(ambiguous.hint, "Name it with --fake-label, or with fakeLabel in deepfake-studio.json.");
    assert.deepEqual(inVsCode(ambiguous), {
      text: "Name it with fakeLabel in deepfake-studio.json (“Deepfake Studio: Choose Fake Label…”).",
      buttons: [["Choose Fake Label…", "deepfakeStudio.chooseFakeLabel"]],
    });
    // The project file's choice settles it; a flag (or the export's decision) still wins over it.
    assert.deepEqual(resolveFakeLabel({ labels, projectSetting: "fake gan" }), { label: "fake gan", index: 1, reason: "given" });
    assert.equal(resolveFakeLabel({ labels, requested: "fake swap", projectSetting: "fake gan" }).label, "fake swap");
    const unknown = caughtSync(() => resolveFakeLabel({ labels, projectSetting: "other" }));
    assert.match(unknown.message, /no label "other" \(fakeLabel in deepfake-studio\.json\)/);
    assert.deepEqual(inVsCode(unknown).buttons, [["Choose Fake Label…", "deepfakeStudio.chooseFakeLabel"]]);
  });

  it("every step a hint can name is a command the extension contributes (Choose Fake Label… included)", () => {
    const contributed = new Set((JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { contributes: { commands: Array<{ command: string; title: string }> } }).contributes.commands.map((command) => `${command.command} ${command.title}`));
    const steps: NextStep[] = [{ step: "init" }, { step: "gather" }, { step: "import" }, { step: "train" }, { step: "lr-find" }, { step: "export" }, { step: "space" }, { step: "deploy" }, { step: "backbone-offline" }, { step: "set-token" }, { step: "fake-label" }];
    assert.deepEqual(steps.map(stepCommand).filter((command) => !contributed.has(`${command.command} ${command.title}`)).map((command) => command.command), []);
  });

  it("fakeLabel in the project file: written by Choose Fake Label (the rest kept), read by training, check and evaluate, refused when it is no category", async () => {
    const projectDir = path.join(tmp, "fake-label");
    const categories = [{ label: "Fake swaps" }, { label: "Fake GANs" }, { label: "Real" }];
    await initProject({ projectDir, config: parseProjectConfig({ categories, train: { selfBlend: "add", epochs: 3 } }) });
    const before = caughtSync(() => resolveSelfBlend(parseProjectConfig({ categories, train: { selfBlend: "add" } })));
    assert.match(before.message, /needs to know which category is the fake one/);
    assert.deepEqual(inVsCode(before).buttons, [["Choose Fake Label…", "deepfakeStudio.chooseFakeLabel"]]);

    const config = await setFakeLabel({ projectDir, label: "Fake GANs" });
    assert.equal(config.fakeLabel, "Fake GANs");
    const raw = JSON.parse(await fs.readFile(path.join(projectDir, "deepfake-studio.json"), "utf8")) as { fakeLabel: string; train: { epochs: number } };
    assert.deepEqual([raw.fakeLabel, raw.train.epochs], ["Fake GANs", 3]);
    assert.equal(resolveSelfBlend(await loadProjectConfig(projectDir)).fakeLabel, "Fake GANs");
    assert.equal(await readProjectFakeLabel(projectDir), "Fake GANs");
    assert.equal(await readProjectFakeLabel(path.join(tmp, "no-project")), undefined);

    const unknown = await caught(setFakeLabel({ projectDir, label: "Deepfakes" }));
    assert.equal(unknown.code, "config-invalid");
    assert.match(unknown.message, /field "fakeLabel" \("Deepfakes"\) is not one of the categories/);
    assert.equal((await loadProjectConfig(projectDir)).fakeLabel, "Fake GANs", "a refused value is not written");
  });

  it("Deploy Again: offered for a hub that timed out, cut the connection, answered 5xx, 429 or 409; not for a token or a name it refused", async () => {
    const hub = (status: number) => describeHubError(new HubApiError("https://huggingface.co/api/spaces/a/b/commit/main", status, "req-1", `Api error with status ${status}`), { action: "upload", repo: "a/b" }) as StudioError;
    assert.deepEqual([500, 502, 503, 429, 409].filter((status) => !isTransientCode(hub(status).code)), []);
    assert.deepEqual([401, 402, 403, 404, 413].filter((status) => isTransientCode(hub(status).code)), []);
    // A hub that accepts and hangs, and one that cuts every connection, through the studio's own hub fetch.
    const server = http.createServer((request) => {
      if (request.url?.startsWith("/cut")) request.socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const hubFetch = createHubFetch({ retries: 0, timeoutMs: 300, env: {} });
    try {
      const timeout = await caught(hubFetch.fetch(`${url}/hang`));
      const cut = await caught(hubFetch.fetch(`${url}/cut`));
      assert.deepEqual([timeout.code, cut.code], ["hub-timeout", "hub-network"]);
      assert.ok(isTransientCode(timeout.code) && isTransientCode(cut.code));
    } finally {
      await hubFetch.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    assert.equal(isTransientCode("hub-token-invalid"), false);
    assert.equal(isTransientCode(undefined), false);
  });

  it("the command line's evaluate reads fakeLabel from the project file when --fake-label is not given", async () => {
    const project = await makeFakeProject({ dir: path.join(tmp, "evaluate-fake-label") });
    const heldOut = path.join(tmp, "evaluate-held-out");
    for (const image of project.images) {
      await fs.mkdir(path.join(heldOut, image.label), { recursive: true });
      await fs.copyFile(path.join(project.dataDir, image.file), path.join(heldOut, image.label, path.basename(image.file)));
    }
    const evaluate = (out: string) => runCli(["--project", project.projectDir, "evaluate", heldOut, "-o", path.join(tmp, out), "--resamples", "50"]);
    const plain = await evaluate("evaluation-plain");
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /\d+ "Deepfake Tom Cruise", \d+ other/);
    await setFakeLabel({ projectDir: project.projectDir, label: "Real Tom Cruise" });
    const named = await evaluate("evaluation-named");
    assert.equal(named.code, 0, named.stderr);
    assert.match(named.stdout, /\d+ "Real Tom Cruise", \d+ other/);
  });

  it("no string in src/core names a CLI flag or command line outside a CLI-only hint part, except where only the command line can get (listed here)", () => {
    // Each: a file, a piece of the string, and why VS Code never shows it.
    const allowed: Array<[string, string, string]> = [
      ["shared/hint.ts", "", "the command line of each step, shown by the CLI only"],
      ["shared/resolve-fake-label.ts", "Pass one of them with --fake-label", "only a --fake-label that names no label"],
      ["export/choose-decision.ts", "", "export's --threshold/--max-fpr, which VS Code's Export Model does not pass"],
      ["evaluate/read-evaluation.ts", "", "reached by export --max-fpr only (VS Code reads no stored evaluation)"],
      ["evaluate/write-evaluation-report.ts", "export --max-fpr", "report.md, read beside the command line"],
      ["export/render-model-card.ts", "", "the model card documents the command lines"],
      ["demo/run-demo.ts", "--space", "npm run demo prints the deploy command"],
      ["space/render-space-readme.ts", "deepfake-studio", "the Space's README tells its visitors about the CLI"],
      ["space/create-space.ts", "--examples names no file", "the CLI's --examples parsing"],
      ["space/create-space.ts", "e.g. --examples a.jpg", "the CLI's --examples parsing"],
      ["space/pick-examples.ts", "on the command line; VS Code's Create Space asks", "worded for both front ends"],
      ["space/commit-space-folder.ts", "", "git's own arguments"],
      ["train/engines/torch/train-torch.ts", "--", "the training script's arguments"],
      ["train/engines/fine-tune-with-script.ts", "train --config", "the training script's command line, for the log"],
      ["train/engines/fine-tune-with-script.ts", "--out .", "the training script's command line, for the log"],
      ["backbone/load-backbone.ts", "tensorflowjs_converter --output_format", "another tool's flag"],
      ["video/video-errors.ts", "--omit=optional", "npm's flag"],
    ];
    const found: string[] = [];
    for (const file of sourceFiles(path.join(REPO_ROOT, "src", "core"))) {
      const relative = path.relative(path.join(REPO_ROOT, "src", "core"), file).split(path.sep).join("/");
      const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
      const visit = (node: ts.Node): void => {
        const text = ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node) ? node.text : undefined;
        if (text !== undefined && FLAG_OR_COMMAND.test(text) && !insideCliOnly(node) && !allowed.some(([name, piece]) => name === relative && text.includes(piece))) {
          found.push(`${relative}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${text.slice(0, 120)}`);
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
    assert.deepEqual(found, [], "make the flag a { cliOnly } part (and say VS Code's way in an { editorOnly } part or a step)");
  });
});

function caughtSync(run: () => unknown): StudioError {
  try {
    run();
  } catch (error) {
    return error as StudioError;
  }
  return assert.fail("expected an error");
}

function insideCliOnly(node: ts.Node): boolean {
  for (let parent = node.parent; parent; parent = parent.parent) {
    if (ts.isPropertyAssignment(parent) && parent.name.getText() === "cliOnly") return true;
  }
  return false;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(full) : entry.name.endsWith(".ts") ? [full] : [];
  });
}
