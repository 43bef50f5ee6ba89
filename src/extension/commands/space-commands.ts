/** Create Space and Deploy to Hugging Face: core createSpace / deploySpace; the token comes from SecretStorage. */
import * as path from "node:path";
import * as vscode from "vscode";
import type { SpaceSdk } from "../../core/space/space-sdk";
import { loadHeavyCore } from "../core";
import { GlueError, reportError, requireTrust } from "../errors";
import { openProject, type Project } from "../project";
import { runTask } from "../run-task";
import { spaceSettings } from "../settings";
import type { Studio } from "../studio";

/** Default Space folder inside the project (core createSpace's default). */
const SPACE_FOLDER = "space";
const LAST_REPO_KEY = "deepfakeStudio.lastSpaceRepo";

/** What a hint's button may ask of Create Space and Deploy (validated: command arguments come from anywhere). */
export interface SpaceCommandOptions {
  sdk?: SpaceSdk;
  repo?: string;
  /** Why Deploy writes the folder first (shown above the examples). */
  reason?: string;
}

/** The options in a command's first argument, keeping only well-formed fields. */
export function spaceOptionsOf(value: unknown): SpaceCommandOptions {
  if (typeof value !== "object" || value === null) return {};
  const { sdk, repo } = value as { sdk?: unknown; repo?: unknown };
  return {
    ...(sdk === "static" || sdk === "gradio" ? { sdk } : {}),
    ...(typeof repo === "string" && REPO.test(repo) ? { repo } : {}),
  };
}

const REPO = /^[A-Za-z0-9][\w.-]{0,95}\/[A-Za-z0-9][\w.-]{0,95}$/;

/** Writes the Space folder (static page with onnxruntime-web, or a Gradio app) from the project's export. */
export async function createSpace(studio: Studio, options: SpaceCommandOptions = {}): Promise<string | undefined> {
  let project: Project;
  let examples: string[] | undefined;
  const sdk = options.sdk ?? spaceSettings().sdk;
  try {
    requireTrust("Create Space");
    project = await openProject();
    if (options.reason) studio.log.info(options.reason);
    const chosen = await chooseExamples(studio, project.projectDir, sdk, options.reason);
    if (!chosen) return undefined;
    examples = chosen.examples;
  } catch (error) {
    await reportError(error, studio.log, "Create Space");
    return undefined;
  }
  const result = await runTask(studio.log, "Creating the Space", async ({ signal, onProgress }) => {
    const { createSpace: create } = await loadHeavyCore();
    return create({ projectDir: project.projectDir, sdk, examples, signal, onProgress });
  });
  studio.refreshViews();
  if (!result) return undefined;
  for (const warning of result.warnings) studio.log.warn(warning);
  studio.log.info(`Space (${result.sdk}) written to ${result.spaceDir}: ${result.files.length} files, examples ${result.examples.map((example) => example.path).join(", ") || "none"}.`);
  const count = result.examples.length;
  const shown = count === 0 ? "no example pictures" : `${count} example picture${count === 1 ? "" : "s"} (public with the Space)`;
  // Deploy asked for it: it goes on by itself, so no "Next: deploy" button.
  if (!options.reason) {
    void vscode.window.showInformationMessage(`Space (${result.sdk}) written to ${result.spaceDir} with ${shown}. Next: deploy it to Hugging Face.`, "Deploy").then((picked) => {
      if (picked) void vscode.commands.executeCommand("deepfakeStudio.deploy");
    });
  }
  return result.spaceDir;
}

type ExampleItem = vscode.QuickPickItem & { source?: string; other?: true };

/**
 * Shows the example pictures Create Space would publish, all ticked, and says they will be public: the user keeps
 * some, none, or adds others. Undefined when they cancel; `examples` undefined keeps the automatic choice as is.
 */
async function chooseExamples(studio: Studio, projectDir: string, sdk: SpaceSdk, reason?: string): Promise<{ examples: string[] | undefined } | undefined> {
  const { previewSpaceExamples } = await loadHeavyCore();
  const preview = await previewSpaceExamples({ projectDir, sdk });
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
    pick.title = `${reason ? `${reason} ` : ""}Example pictures of the Space: they will be public`;
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

/**
 * Uploads the Space folder to the hub (HF_ENDPOINT is honoured) and shows its URL. A folder that is missing, that an
 * interrupted run left unfinished, or that is of another kind than `options.sdk` is written first (core's plan, as
 * the CLI's deploy does). `options.repo` (a hint's button) skips the name question.
 */
export async function deployToHub(studio: Studio, options: SpaceCommandOptions = {}): Promise<void> {
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
    repo = options.repo ?? (await askRepo(studio));
  } catch (error) {
    await reportError(error, studio.log, "Deploy to Hugging Face");
    return;
  }
  if (!repo) return;
  const spaceDir = path.join(project.projectDir, SPACE_FOLDER);
  let sdk: SpaceSdk;
  try {
    const { planSpaceDeploy } = await loadHeavyCore();
    const plan = await planSpaceDeploy({ spaceDir, sdk: options.sdk, defaultSdk: spaceSettings().sdk });
    sdk = plan.sdk;
    if (plan.rewrite && !(await createSpace(studio, { sdk, reason: plan.reason }))) return;
  } catch (error) {
    await reportError(error, studio.log, "Deploy to Hugging Face");
    return;
  }
  await deploy(studio, { spaceDir, repo, token, sdk });
}

async function deploy(studio: Studio, params: { spaceDir: string; repo: string; token: string; sdk: SpaceSdk }): Promise<void> {
  const result = await runTask(studio.log, `Deploying to Hugging Face (${params.repo})`, async ({ signal, onProgress }) => {
    const { deploySpace } = await loadHeavyCore();
    return deploySpace({ spaceDir: params.spaceDir, repo: params.repo, sdk: params.sdk, private: spaceSettings().private, accessToken: params.token, signal, onProgress });
    // A timeout, a cut connection or a busy hub: the same Space and kind again, without asking (nothing is sent twice).
  }, { retry: { title: "Deploy Again", command: "deepfakeStudio.deploy", args: [{ repo: params.repo, sdk: params.sdk }] } });
  if (!result) return;
  await studio.context.workspaceState.update(LAST_REPO_KEY, params.repo);
  // Ticks the walkthrough's Deploy step (its completion event): only a deploy that succeeded does.
  await vscode.commands.executeCommand("setContext", "deepfakeStudio.deployed", true);
  studio.log.info(`Deployed ${result.repo} as ${result.user}${result.created ? " (new Space)" : ""}: ${result.uploaded.length} uploaded, ${result.unchanged.length} unchanged, ${result.deleted.length} deleted${result.commit ? `; commit ${result.commit.oid}` : "; nothing changed"}. ${result.url}`);
  const picked = await vscode.window.showInformationMessage(`Deployed: ${result.url}`, "Open Space");
  if (picked) await vscode.env.openExternal(vscode.Uri.parse(result.url));
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
