/**
 * Who trains a run. "studio": the frozen-feature trainer in Node (train-head.ts), offline, any laptop. "torch": the
 * whole network fine-tuned by a generated PyTorch script in the user's own Python (torch/train-torch.ts).
 * "hf-jobs": the same script as a Hugging Face GPU Job (hf-jobs/train-hf-jobs.ts). All leave runs/<id>/ in the
 * same shape, so the cleaner, export, predict and the Space work with any of them.
 */
import type { ProjectConfig } from "../../project/project-config";
import { TrainSettingsError } from "../train-errors";

export const TRAIN_ENGINES = ["studio", "torch", "hf-jobs"] as const;
export type TrainEngineName = (typeof TRAIN_ENGINES)[number];

/** The call's engine, else the project's train.engine; an unknown name is refused with the choices. */
export function chooseEngine(requested: string | undefined, config: ProjectConfig): TrainEngineName {
  const name = requested?.trim() || config.train.engine;
  if ((TRAIN_ENGINES as readonly string[]).includes(name)) return name as TrainEngineName;
  throw new TrainSettingsError(`There is no training engine "${name}".`, [`Choose one of: ${TRAIN_ENGINES.join(", ")} (train.engine in deepfake-studio.json`, { cliOnly: ", or --engine" }, ")."]);
}
