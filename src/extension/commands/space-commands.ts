/** Create Space and Deploy to Hugging Face: core createSpace / deploySpace; the token comes from SecretStorage. */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { loadHeavyCore } from "../core";
import { GlueError, reportError, requireTrust } from "../errors";
import { openProject, type Project } from "../project";
import { runTask } from "../run-task";
import { spaceSettings } from "../settings";
import type { Studio } from "../studio";

/** Default Space folder inside the project (core createSpace's default). */
const SPACE_FOLDER = "space";
const LAST_REPO_KEY = "deepfakeStudio.lastSpaceRepo";

/** Writes the Space folder (static page with onnxruntime-web, or a Gradio app) from the project's export. */
export async function createSpace(studio: Studio): Promise<string | undefined> {
  let project: Project;
  let examples: string[] | undefined;
  try {
    requireTrust("Create Space");
    project = await openProject();
    const chosen = await chooseExamples(studio, project.projectDir);
    if (!chosen) return undefined;
    examples = chosen.examples;
  } catch (error) {
    await reportError(error, studio.log, "Create Space");
    return undefined;
  }
  const result = await runTask(studio.log, "Creating the Space", async ({ signal, onProgress }) => {
    const { createSpace: create } = await loadHeavyCore();
    return create({ projectDir: project.projectDir, sdk: spaceSettings().sdk, examples, signal, onProgress });
  });
  studio.refreshViews();
  if (!result) return undefined;
  for (const warning of result.warnings) studio.log.warn(warning);
  studio.log.info(`Space (${result.sdk}) written to ${result.spaceDir}: ${result.files.length} files, examples ${result.examples.map((example) => example.path).join(", ") || "none"}.`);
  const count = result.examples.length;
  const shown = count === 0 ? "no example pictures" : `${count} example picture${count === 1 ? "" : "s"} (public with the Space)`;
  void vscode.window.showInformationMessage(`Space (${result.sdk}) written to ${result.spaceDir} with ${shown}. Next: deploy it to Hugging Face.`, "Deploy").then((picked) => {
    if (picked) void vscode.commands.executeCommand("deepfakeStudio.deploy");
  });
  return result.spaceDir;
}

type ExampleItem = vscode.QuickPickItem & { source?: string; other?: true };

/**
 * Shows the example pictures Create Space would publish, all ticked, and says they will be public: the user keeps
 * some, none, or adds others. Undefined when they cancel; `examples` undefined keeps the automatic choice as is.
 */
async function chooseExamples(studio: Studio, projectDir: string): Promise<{ examples: string[] | undefined } | undefined> {
  const { previewSpaceExamples } = await loadHeavyCore();
  const preview = await previewSpaceExamples({ projectDir, sdk: spaceSettings().sdk });
  for (const warning of preview.warnings) studio.log.warn(warning);
  const items: ExampleItem[] = preview.examples.map((example) => ({
    label: path.basename(example.source),
    description: `${example.label} · ${(example.probability * 100).toFixed(1)}% · ${example.split === "valid" ? "validation" : "training"} image · ${example.publishable ? example.credit?.license : example.credit?.license ? `${example.credit.license} (not known to allow publishing)` : "licence unknown"}`,
    detail: example.source,
    iconPath: vscode.Uri.file(example.source),
    picked: true,
    source: example.source,
  }));
  const other: ExampleItem = { label: "$(file-media) Other pictures…", description: "choose files after this list", alwaysShow: true, other: true };
  const picked = await new Promise<readonly ExampleItem[] | undefined>((resolve) => {
    const pick = vscode.window.createQuickPick<ExampleItem>();
    pick.title = "Example pictures of the Space: they will be public";
    pick.placeholder = "Everyone who opens the Space sees these pictures from your data folder. Untick any you may not publish (none is fine); Enter creates the Space.";
    pick.canSelectMany = true;
    pick.ignoreFocusOut = true;
    pick.items = [...items, other];
    pick.selectedItems = items;
    let done = false;
    pick.onDidAccept(() => {
      done = true;
      resolve(pick.selectedItems);
      pick.hide();
    });
    pick.onDidHide(() => {
      if (!done) resolve(undefined);
      pick.dispose();
    });
    pick.show();
  });
  if (!picked) return undefined;
  const kept = picked.flatMap((item) => (item.source ? [item.source] : []));
  let others: string[] = [];
  if (picked.some((item) => item.other)) {
    const files = await vscode.window.showOpenDialog({ canSelectMany: true, canSelectFiles: true, canSelectFolders: false, openLabel: "Use as examples", title: "Example pictures (public with the Space)", filters: { Images: ["jpg", "jpeg", "png", "webp"] } });
    if (!files) return undefined;
    others = files.map((file) => file.fsPath);
  }
  // Untouched: the automatic choice, copied byte for byte as createSpace does on its own.
  if (others.length === 0 && kept.length === items.length) return { examples: undefined };
  studio.log.info(`Space examples chosen: ${[...kept, ...others].join(", ") || "none"}.`);
  return { examples: [...kept, ...others] };
}

/** Uploads the Space folder to the hub (HF_ENDPOINT is honoured) and shows its URL. */
export async function deployToHub(studio: Studio): Promise<void> {
  let project: Project;
  let token: string;
  let repo: string | undefined;
  try {
    requireTrust("Deploy to Hugging Face");
    project = await openProject();
    const found = await studio.tokens.find();
    if (!found) throw new GlueError("No Hugging Face token is set.", "hub-token-missing", "Run “Deepfake Studio: Set Hugging Face Token” (or set HF_TOKEN) and deploy again.");
    studio.log.info(`Using the Hugging Face token from ${found.source}.`);
    token = found.token;
    repo = await askRepo(studio);
  } catch (error) {
    await reportError(error, studio.log, "Deploy to Hugging Face");
    return;
  }
  if (!repo) return;
  const spaceDir = path.join(project.projectDir, SPACE_FOLDER);
  if (!(await exists(spaceDir)) && !(await createSpace(studio))) return;
  await deploy(studio, { spaceDir, repo, token });
}

async function deploy(studio: Studio, params: { spaceDir: string; repo: string; token: string }): Promise<void> {
  const sdk = (await spaceSdkOf(params.spaceDir)) ?? spaceSettings().sdk;
  const result = await runTask(studio.log, `Deploying to Hugging Face (${params.repo})`, async ({ signal, onProgress }) => {
    const { deploySpace } = await loadHeavyCore();
    return deploySpace({ spaceDir: params.spaceDir, repo: params.repo, sdk, private: spaceSettings().private, accessToken: params.token, signal, onProgress });
  });
  if (!result) return;
  // Ticks the walkthrough's Deploy step (its completion event): only a deploy that succeeded does.
  await vscode.commands.executeCommand("setContext", "deepfakeStudio.deployed", true);
  studio.log.info(`Deployed ${result.repo} as ${result.user}${result.created ? " (new Space)" : ""}: ${result.uploaded.length} uploaded, ${result.unchanged.length} unchanged, ${result.deleted.length} deleted${result.commit ? `; commit ${result.commit.oid}` : "; nothing changed"}. ${result.url}`);
  const picked = await vscode.window.showInformationMessage(`Deployed: ${result.url}`, "Open Space");
  if (picked) await vscode.env.openExternal(vscode.Uri.parse(result.url));
}

/** The SDK the Space folder was written for (space.json), if readable. */
async function spaceSdkOf(spaceDir: string): Promise<"static" | "gradio" | undefined> {
  try {
    const manifest = JSON.parse(await fs.readFile(path.join(spaceDir, "space.json"), "utf8")) as { sdk?: unknown };
    return manifest.sdk === "static" || manifest.sdk === "gradio" ? manifest.sdk : undefined;
  } catch {
    return undefined;
  }
}

/** Asks for owner/name, proposing the last one or <owner setting>/deepfake-detector. */
async function askRepo(studio: Studio): Promise<string | undefined> {
  const last = studio.context.workspaceState.get<string>(LAST_REPO_KEY);
  const owner = spaceSettings().owner;
  const value = await vscode.window.showInputBox({
    title: "Hugging Face Space",
    prompt: "The Space to create or update, as owner/name.",
    value: last ?? (owner ? `${owner}/deepfake-detector` : ""),
    placeHolder: "your-user/deepfake-detector",
    ignoreFocusOut: true,
    validateInput: (text) => (/^[A-Za-z0-9][\w.-]{0,95}\/[A-Za-z0-9][\w.-]{0,95}$/.test(text.trim()) ? undefined : "Write owner/name, e.g. alice/tom-cruise-deepfake-detector."),
  });
  if (value === undefined) return undefined;
  await studio.context.workspaceState.update(LAST_REPO_KEY, value.trim());
  return value.trim();
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(() => true, () => false);
}
