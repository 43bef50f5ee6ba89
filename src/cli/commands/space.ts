/** `deepfake-studio space` and `deploy`: scaffold a Hugging Face Space from the export, and put it on the hub. */
import type { Command } from "commander";
import * as path from "node:path";
import { deploySpace } from "../../core/hub/deploy-space";
import { findHfToken } from "../../core/hub/find-hf-token";
import { HubError } from "../../core/hub/hub-error";
import { createSpace, type CreateSpaceResult } from "../../core/space/create-space";
import { planSpaceDeploy } from "../../core/space/plan-space-deploy";
import { parseSpaceSdk, SPACE_SDKS, type SpaceSdk } from "../../core/space/space-sdk";
import { StudioError } from "../../core/shared/errors";
import { cliContext } from "../cli-context";
import { formatTable, printProgress } from "../output";
import { projectDirOf } from "./context";

interface SpaceOptions {
  sdk?: SpaceSdk;
  out?: string;
  export?: string;
  examples?: string[];
  title?: string;
  git?: boolean;
  json?: boolean;
}

interface DeployOptions {
  space: string;
  sdk?: SpaceSdk;
  private?: boolean;
  out?: string;
  json?: boolean;
}

export function registerSpaceCommands(program: Command): void {
  program
    .command("space")
    .description("write a Hugging Face Space folder from the export: a static page running the model in the browser (default, free) or a Gradio app")
    .option("--sdk <sdk>", `${SPACE_SDKS.join(" or ")} (Gradio Spaces need a paid Hugging Face plan)`, parseSdk)
    .option("--out <dir>", "the Space folder (default: <project>/space)")
    .option("--export <dir>", "the export folder (default: <project>/export)")
    .option("--examples <files>", "comma-separated pictures to show as examples (default: well-classified validation images)", parseList)
    .option("--title <title>", "the Space's title (default: Deepfake Detector)")
    .option("--no-git", "do not git init / commit the folder")
    .option("--json", "print the result as JSON")
    .action(async (options: SpaceOptions, command: Command) => {
      const projectDir = projectDirOf(command);
      const result = await createSpace({
        projectDir,
        sdk: options.sdk,
        outDir: options.out ? path.resolve(options.out) : undefined,
        exportDir: options.export ? path.resolve(options.export) : undefined,
        // Relative to where the user typed them, like every other path on the command line.
        examples: options.examples?.map((file) => path.resolve(file)),
        title: options.title,
        git: options.git,
        onProgress: printProgress(),
        signal: cliContext.signal,
      });
      if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else printSpace(result);
    });

  program
    .command("deploy")
    .description("create or update a Hugging Face Space from the Space folder (writes it first if missing); token from HF_TOKEN or ~/.cache/huggingface/token")
    .requiredOption("--space <owner/name>", "the Space, e.g. alice/deepfake-detector")
    .option("--sdk <sdk>", `${SPACE_SDKS.join(" or ")} (default: the Space folder's, else static)`, parseSdk)
    .option("--private", "create the Space as private")
    .option("--out <dir>", "the Space folder (default: <project>/space)")
    .option("--json", "print the result as JSON")
    .action(async (options: DeployOptions, command: Command) => {
      const projectDir = projectDirOf(command);
      const found = await findHfToken();
      if (!found) {
        throw new HubError("No Hugging Face token was found.", "hub-token-missing",
          "Create a token with write access at https://huggingface.co/settings/tokens, then set HF_TOKEN (or run `huggingface-cli login`, or \"Set Hugging Face Token\" in VS Code).");
      }
      // Say where the token came from, never what it is.
      process.stderr.write(`Using the Hugging Face token from ${found.source}.\n`);
      const spaceDir = path.resolve(options.out ?? path.join(projectDir, "space"));
      // A missing or unfinished folder is written first; an explicit --sdk of the other kind (say, static after a 402) rewrites it.
      const { sdk, rewrite, reason } = await planSpaceDeploy({ spaceDir, sdk: options.sdk });
      if (rewrite) {
        if (rewrite !== "missing") process.stderr.write(`${reason}\n`);
        const created = await createSpace({ projectDir, sdk, outDir: spaceDir, onProgress: printProgress(), signal: cliContext.signal });
        if (!options.json) printSpace(created);
      }
      const result = await deploySpace({
        spaceDir,
        repo: options.space,
        sdk,
        private: options.private,
        accessToken: found.token,
        onProgress: printProgress(),
        signal: cliContext.signal,
      });
      if (options.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      const summary = result.commit
        ? `${result.uploaded.length} file(s) uploaded, ${result.unchanged.length} unchanged${result.deleted.length ? `, ${result.deleted.length} removed` : ""}`
        : "nothing changed since the last deploy";
      process.stdout.write(`${result.created ? "Created" : "Updated"} ${result.repo} as ${result.user}: ${summary}.\n`);
      process.stdout.write(`${result.url}\n`);
    });
}

function printSpace(result: CreateSpaceResult): void {
  const rows = result.files.map((file) => [file.path, formatBytes(file.bytes)]);
  const total = result.files.reduce((sum, file) => sum + file.bytes, 0);
  process.stdout.write(`\n${formatTable(["file", "size"], [...rows, ["(total)", formatBytes(total)]])}\n\n`);
  for (const example of result.examples) {
    const detail = example.label ? ` (${example.label}, ${(100 * (example.probability ?? 0)).toFixed(1)}%)` : "";
    process.stdout.write(`example ${example.path} ← ${example.source}${detail}\n`);
  }
  const git = result.git;
  if (git.status === "committed") process.stdout.write(`git: committed ${git.commit.slice(0, 12)}; LFS: ${git.lfsFiles.join(", ")}\n`);
  else if (git.status === "unchanged") process.stdout.write("git: nothing changed since the last commit\n");
  process.stdout.write(`${result.sdk} Space written to ${result.spaceDir}. Next: deepfake-studio deploy --space <owner>/<name>${result.sdk === "gradio" ? " --sdk gradio" : ""}\n`);
}

function parseSdk(value: string): SpaceSdk {
  const sdk = parseSpaceSdk(value);
  if (!sdk) throw new StudioError(`--sdk must be ${SPACE_SDKS.join(" or ")}, not "${value}".`, "usage");
  return sdk;
}

function parseList(value: string): string[] {
  return value.split(",").map((item) => item.trim()).filter(Boolean);
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${bytes} B`;
}
