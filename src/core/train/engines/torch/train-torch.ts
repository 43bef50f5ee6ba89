/**
 * Engine "torch": fastai's fine_tune(epochs) on the whole network, run by the generated PyTorch script in the user's
 * own Python (fine-tune-with-script.ts does the rest). Cancel ends the process group; nothing half-written is kept.
 */
import * as path from "node:path";
import type { TrainParams, TrainResult } from "../../train";
import { chooseTorchBackbone, createScriptLog, fineTuneWithScript, quote, TORCH_CONFIG, TORCH_SCRIPT, writeScriptConfig, type ScriptJob, type ScriptOutcome } from "../fine-tune-with-script";
import { findTorchPython, type TorchPython } from "./find-torch-python";
import { runPython } from "./run-python";
import { STUDIO_ENGINE_HINT, TorchScriptError } from "./torch-errors";

/** Finds a Python with PyTorch first (a clear message before any picture is read), then fine-tunes with it. */
export async function trainWithTorch(params: TrainParams): Promise<TrainResult> {
  chooseTorchBackbone(params); // an unknown network is named before Python is looked for
  params.onProgress?.({ event: "phase", phase: "python", message: "Looking for Python with PyTorch" });
  const python = await findTorchPython({ configured: configuredPython(params), env: params.env, signal: params.signal });
  params.onProgress?.({ event: "log", message: `Training with ${python.python}: torch ${python.torch}, torchvision ${python.torchvision}, on ${python.device}` });
  return fineTuneWithScript(params, { engine: "torch", where: `(${python.python}, ${python.device})`, run: (job) => runLocally(python, job) });
}

/** train.python; a relative path (not a bare command) is relative to the project. */
export function configuredPython(params: Pick<TrainParams, "projectDir" | "config">): string | undefined {
  const configured = params.config.train.python;
  if (!configured || !/[\\/]/.test(configured) || path.isAbsolute(configured)) return configured;
  return path.resolve(params.projectDir, configured);
}

/** Runs train.py in the run folder; throws TorchScriptError with its last lines when it fails. */
async function runLocally(python: TorchPython, job: ScriptJob): Promise<ScriptOutcome> {
  const { params, folder } = job;
  await writeScriptConfig(folder, job.config);
  const log = createScriptLog(params, folder, job.expectedEpochs);
  let exit;
  try {
    exit = await runPython({
      python: python.python, args: [TORCH_SCRIPT, "train", "--config", TORCH_CONFIG, "--out", "."], cwd: folder, env: params.env, signal: params.signal,
      onStdout: (line) => log.onLine(line, "train.py"), onStderr: (line) => log.onLine(line, "train.py"),
    });
  } finally {
    await log.save();
  }
  if (exit.code !== 0) {
    const last = log.lastLines();
    const how = exit.signal ? `was stopped by ${exit.signal}${exit.signal === "SIGKILL" ? " (often: out of memory; lower train.batchSize)" : ""}` : `failed (exit code ${exit.code})`;
    throw new TorchScriptError(`The PyTorch training script ${how}${quote(last)}`, last, ["Nothing was kept. Fix the cause above and train again; ", ...STUDIO_ENGINE_HINT, " trains without Python."]);
  }
  return { epochs: log.checkEpochs(), weights: log.weights(), python };
}
