/**
 * Who trains a run. "studio": the frozen-feature trainer in Node (train-head.ts), offline, any laptop. "torch": the
 * whole network fine-tuned by a generated PyTorch script in the user's own Python (torch/train-torch.ts). Both
 * leave runs/<id>/ in the same shape, so the cleaner, export, predict and the Space work with either.
 */
import type { ProjectConfig } from "../../project/project-config";
import { TrainSettingsError } from "../train-errors";

export const TRAIN_ENGINES = ["studio", "torch"] as const;
export type TrainEngineName = (typeof TRAIN_ENGINES)[number];

/** Engines named in the issue tracker but not built yet: a clear refusal instead of "unknown engine". */
const RESERVED_ENGINES: Record<string, string> = {
  "hf-jobs": "Training as a Hugging Face GPU Job (--engine hf-jobs) is not available yet; use --engine torch to fine-tune with your own PyTorch, or --engine studio.",
};

/** The call's engine, else the project's train.engine; an unknown name is refused with the choices. */
export function chooseEngine(requested: string | undefined, config: ProjectConfig): TrainEngineName {
  const name = requested?.trim() || config.train.engine;
  if ((TRAIN_ENGINES as readonly string[]).includes(name)) return name as TrainEngineName;
  if (RESERVED_ENGINES[name]) throw new TrainSettingsError(RESERVED_ENGINES[name]);
  throw new TrainSettingsError(`There is no training engine "${name}".`, `Choose one of: ${TRAIN_ENGINES.join(", ")} (--engine, or train.engine in deepfake-studio.json).`);
}
