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
  const result = await runTask(studio.log, "Creating the Space", async ({ signal, onProgress }) => {
    requireTrust("Create Space");
    const { projectDir } = await openProject();
    const { createSpace: create } = await loadHeavyCore();
    return create({ projectDir, sdk: spaceSettings().sdk, signal, onProgress });
  });
  studio.refreshViews();
  if (!result) return undefined;
  for (const warning of result.warnings) studio.log.warn(warning);
  studio.log.info(`Space (${result.sdk}) written to ${result.spaceDir}: ${result.files.length} files, examples ${result.examples.map((example) => example.path).join(", ")}.`);
  void vscode.window.showInformationMessage(`Space (${result.sdk}) written to ${result.spaceDir}. Next: deploy it to Hugging Face.`, "Deploy").then((picked) => {
    if (picked) void vscode.commands.executeCommand("deepfakeStudio.deploy");
  });
  return result.spaceDir;
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
