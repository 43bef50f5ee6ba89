/**
 * The engine choice of a project, for front ends that ask once (VS Code's Train): which engines can train here
 * now and which networks they can fine-tune, and train.engine / train.torchBackbone read from and written into
 * deepfake-studio.json (nothing else in the file changes).
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { CONFIG_FILE_NAME, parseProjectConfig, type ProjectConfig } from "../../project/project-config";
import { CancelledError, describeFsError } from "../../shared/errors";
import { findTorchPython } from "./torch/find-torch-python";
import { configuredPython } from "./torch/train-torch";
import { DEFAULT_TORCH_BACKBONE, TORCH_BACKBONE_TITLES, TORCH_BACKBONES, type TorchBackboneName } from "./torch-backbone-names";
import { TRAIN_ENGINES, type TrainEngineName } from "./train-engine";

/** An engine that can train here, with what the user should know about it. */
export interface AvailableEngine {
  engine: TrainEngineName;
  detail: string;
}

/** studio always; torch when a Python with PyTorch is found; hf-jobs when a Hugging Face token is. */
export async function listAvailableEngines(params: { projectDir: string; config: ProjectConfig; hasToken: boolean; env?: NodeJS.ProcessEnv; signal?: AbortSignal }): Promise<AvailableEngine[]> {
  const engines: AvailableEngine[] = [{ engine: "studio", detail: "frozen backbone + a trained head, offline, in a minute or two" }];
  try {
    const python = await findTorchPython({ configured: configuredPython(params), env: params.env, signal: params.signal });
    engines.push({ engine: "torch", detail: `fine-tunes the whole network with ${python.python} (torch ${python.torch}, on ${python.device})` });
  } catch (error) {
    if (error instanceof CancelledError) throw error;
  }
  if (params.hasToken) engines.push({ engine: "hf-jobs", detail: `fine-tunes the whole network as a Hugging Face GPU Job (${params.config.train.hfJobs.flavor}; needs a Pro or Team plan)` });
  return engines;
}

/** train.engine as the project file writes it; undefined when the file leaves it to the default. */
export async function readProjectEngine(projectDir: string): Promise<string | undefined> {
  const raw = await readRaw(projectDir);
  const train = raw.train as Record<string, unknown> | undefined;
  return typeof train?.engine === "string" ? train.engine : undefined;
}

/** Writes train.engine into the project file (checked like any project file), replacing it in one rename. */
export async function saveProjectEngine(params: { projectDir: string; engine: TrainEngineName }): Promise<void> {
  if (!TRAIN_ENGINES.includes(params.engine)) throw new TypeError(`Unknown engine ${String(params.engine)}`);
  await saveTrainSetting(params.projectDir, { engine: params.engine });
}

/** A network the torch engines can fine-tune, with what the user should know about it. */
export interface TorchBackboneChoice {
  name: TorchBackboneName;
  title: string;
  detail: string;
  isDefault: boolean;
}

/** The networks train.torchBackbone accepts, the default (the studio's own weights, offline) first. */
export function listTorchBackbones(): TorchBackboneChoice[] {
  const names = [DEFAULT_TORCH_BACKBONE, ...TORCH_BACKBONES.filter((name) => name !== DEFAULT_TORCH_BACKBONE)];
  return names.map((name) => ({
    name,
    title: TORCH_BACKBONE_TITLES[name],
    detail: name === DEFAULT_TORCH_BACKBONE
      ? "the default: starts from the studio's own backbone weights, works offline"
      : "ImageNet weights from torchvision; needs the internet the first time",
    isDefault: name === DEFAULT_TORCH_BACKBONE,
  }));
}

/** Writes train.torchBackbone into the project file, as saveProjectEngine writes train.engine. */
export async function saveProjectTorchBackbone(params: { projectDir: string; torchBackbone: TorchBackboneName }): Promise<void> {
  if (!TORCH_BACKBONES.includes(params.torchBackbone)) throw new TypeError(`Unknown network ${String(params.torchBackbone)}`);
  await saveTrainSetting(params.projectDir, { torchBackbone: params.torchBackbone });
}

/** Merges `settings` into the file's train section, checked like any project file, and replaces the file in one rename. */
async function saveTrainSetting(projectDir: string, settings: Record<string, string>): Promise<void> {
  const raw = await readRaw(projectDir);
  const next = { ...raw, train: { ...((raw.train as Record<string, unknown> | undefined) ?? {}), ...settings } };
  parseProjectConfig(next, CONFIG_FILE_NAME);
  const file = path.join(projectDir, CONFIG_FILE_NAME);
  const temp = `${file}.tmp-${process.pid}`;
  try {
    await fs.writeFile(temp, `${JSON.stringify(next, null, 2)}\n`);
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw describeFsError(error, file);
  }
}

async function readRaw(projectDir: string): Promise<Record<string, unknown>> {
  const file = path.join(projectDir, CONFIG_FILE_NAME);
  try {
    return JSON.parse(await fs.readFile(file, "utf8")) as Record<string, unknown>;
  } catch (error) {
    throw describeFsError(error, file);
  }
}
