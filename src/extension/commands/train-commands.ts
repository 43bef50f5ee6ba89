/** Train (live Training panel), Open Run, Open Cleaner. */
import * as path from "node:path";
import * as vscode from "vscode";
import type { ProjectConfig } from "../../core/project/project-config";
import type { RunView } from "../../shared/protocol";
import { loadCore, loadHeavyCore } from "../core";
import { asStudioError, reportError, requireTrust } from "../errors";
import { openProject, pickProjectDir } from "../project";
import { SECTION } from "../settings";
import { runTask } from "../run-task";
import { listRuns, readMetrics } from "../runs";
import type { Studio } from "../studio";
import { CleanerPanel } from "../webviews/cleaner-view";
import { runViewOf } from "../webviews/run-view";
import { TrainingPanel } from "../webviews/training-panel";
import { formatPercent } from "../views/runs-tree";

/** Engines offered when the user is asked, in words. */
const ENGINE_LABELS: Record<string, string> = { studio: "Studio (frozen backbone)", torch: "PyTorch on this machine", "hf-jobs": "Hugging Face GPU Job" };

/**
 * The project's engine. A project whose file names torch or hf-jobs uses it; otherwise, the first time (per project)
 * that more than one engine can train here, the user picks one and train.engine is written into the project file.
 * Undefined: the user dismissed the choice.
 */
async function chooseTrainEngine(studio: Studio, projectDir: string, config: ProjectConfig): Promise<string | undefined> {
  const core = await loadHeavyCore();
  const written = await core.readProjectEngine(projectDir);
  const askedKey = `trainEngineAsked:${projectDir}`;
  const ask = vscode.workspace.getConfiguration(SECTION).get<boolean>("train.askEngine", true);
  if (!ask || (written && written !== "studio") || studio.context.workspaceState.get<boolean>(askedKey)) return config.train.engine;
  const hasToken = (await studio.tokens.find()) !== undefined;
  const available = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: "Looking for PyTorch…" }, () => core.listAvailableEngines({ projectDir, config, hasToken }));
  if (available.length < 2) return config.train.engine;
  const picked = await vscode.window.showQuickPick(
    available.map((entry) => ({ label: ENGINE_LABELS[entry.engine] ?? entry.engine, description: entry.engine === config.train.engine ? "current" : undefined, detail: entry.detail, engine: entry.engine })),
    { placeHolder: "How should this project train? (remembered as train.engine in deepfake-studio.json)", ignoreFocusOut: true },
  );
  if (!picked) return undefined;
  await core.saveProjectEngine({ projectDir, engine: picked.engine });
  await studio.context.workspaceState.update(askedKey, true);
  studio.log.info(`Training engine for ${projectDir}: ${picked.engine} (train.engine in the project file).`);
  return picked.engine;
}

/**
 * The network a torch or hf-jobs fine-tune starts from. A project file that names one (train.torchBackbone) uses it;
 * otherwise the user picks one, asked once like the engine, and it is written into the project file.
 * Undefined: the user dismissed the choice.
 */
async function chooseTorchBackbone(studio: Studio, projectDir: string, config: ProjectConfig): Promise<string | undefined> {
  const core = await loadHeavyCore();
  const choices = core.listTorchBackbones();
  const current = config.train.torchBackbone ?? choices.find((choice) => choice.isDefault)?.name;
  const ask = vscode.workspace.getConfiguration(SECTION).get<boolean>("train.askEngine", true);
  if (!ask || config.train.torchBackbone) return current;
  const picked = await vscode.window.showQuickPick(
    choices.map((choice) => ({ label: choice.title, description: choice.name, detail: choice.detail, name: choice.name })),
    { placeHolder: "Which network should the fine-tune start from? (remembered as train.torchBackbone in deepfake-studio.json)", ignoreFocusOut: true },
  );
  if (!picked) return undefined;
  await core.saveProjectTorchBackbone({ projectDir, torchBackbone: picked.name });
  studio.log.info(`Network to fine-tune for ${projectDir}: ${picked.name} (train.torchBackbone in the project file).`);
  return picked.name;
}

/** Trains on the project's images with its engine; the Training panel shows each epoch as it ends. */
export async function trainModel(studio: Studio): Promise<void> {
  let panel: TrainingPanel | undefined;
  let live: RunView | undefined;
  let project: { projectDir: string; config: ProjectConfig; engine: string; torchBackbone?: string };
  try {
    requireTrust("Train");
    const { projectDir, config } = await openProject();
    const engine = await chooseTrainEngine(studio, projectDir, config);
    if (!engine) return;
    const torchBackbone = engine === "studio" ? undefined : await chooseTorchBackbone(studio, projectDir, config);
    if (engine !== "studio" && !torchBackbone) return;
    project = { projectDir, config, engine, torchBackbone };
  } catch (error) {
    await reportError(error, studio.log, "Training");
    return;
  }
  const result = await runTask(studio.log, "Training", async ({ signal, onProgress, report }) => {
    const { projectDir, config, engine, torchBackbone } = project;
    // A fine-tune reports its one frozen epoch too.
    const totalEpochs = engine === "studio" ? config.train.epochs : config.train.fineTuneEpochs + 1;
    live = { runId: "new run", status: "running", totalEpochs, epochs: [] };
    panel = TrainingPanel.show(studio.extensionUri, studio.log, live);
    const { train } = await loadHeavyCore();
    const accessToken = engine === "hf-jobs" ? await studio.tokens.find() : undefined;
    return train({
      projectDir,
      config,
      engine,
      torchBackbone,
      ...(accessToken ? { hfJobs: { accessToken } } : {}),
      signal,
      onProgress: (event) => {
        onProgress(event);
        panel?.reportProgress(event);
      },
      onEpoch: (record) => {
        // Core counts epochs from 0, as fastai's table does; the progress text counts from 1.
        const line = `epoch ${record.epoch + 1}/${totalEpochs}: train loss ${record.trainLoss.toFixed(4)}, valid loss ${record.validLoss.toFixed(4)}, error rate ${formatPercent(record.errorRate)} (${record.seconds.toFixed(2)} s)`;
        studio.log.info(line);
        report(line);
        panel?.addEpoch({ epoch: record.epoch, trainLoss: record.trainLoss, validLoss: record.validLoss, errorRate: record.errorRate, seconds: record.seconds });
      },
    }).catch((error: unknown) => {
      const cancelled = asStudioError(error)?.code === "cancelled";
      if (live) panel?.setRun({ ...live, epochs: [], status: cancelled ? "cancelled" : "failed", message: asStudioError(error)?.message ?? "Training failed; see the log." });
      throw error;
    });
  });
  studio.refreshViews();
  if (!result) return;
  panel?.setRun(runViewOf(result.metrics));
  studio.log.info(`Run ${result.runId}: error rate ${formatPercent(result.metrics.errorRate)}; feature cache ${result.featureCache.hits} hit(s), ${result.featureCache.computed} computed; ${result.runDir}`);
  const next = await vscode.window.showInformationMessage(`Run ${result.runId}: error rate ${formatPercent(result.metrics.errorRate)}. Clean the data by its highest losses, then train again.`, "Open Cleaner", "Export Model");
  if (next === "Open Cleaner") await vscode.commands.executeCommand("deepfakeStudio.openCleaner");
  else if (next === "Export Model") await vscode.commands.executeCommand("deepfakeStudio.export", result.runId);
}

/** Shows a past run (the given id, or one the user picks) in the Training panel. */
export async function openRun(studio: Studio, runId?: string): Promise<void> {
  try {
    const projectDir = await pickProjectDir({ quiet: true });
    const runs = await listRuns(projectDir);
    const id = typeof runId === "string" ? runId : (await vscode.window.showQuickPick(runs.map((run) => ({ label: run.runId, description: run.metrics ? `error rate ${formatPercent(run.metrics.errorRate)}` : "", id: run.runId })), { placeHolder: "Which run?" }))?.id;
    if (!id) return;
    const run = runs.find((candidate) => candidate.runId === id);
    if (!run) {
      const { findRun } = await loadCore();
      await findRun({ projectDir, runId: id }); // throws the core's "no such run" error with the list
      return;
    }
    const metrics = await readMetrics(run.runDir);
    if (!metrics) {
      void vscode.window.showWarningMessage(`Run ${id} has no readable metrics.json (${path.join(run.runDir, "metrics.json")}).`);
      return;
    }
    TrainingPanel.show(studio.extensionUri, studio.log, runViewOf(metrics));
  } catch (error) {
    await reportError(error, studio.log, "Open Run");
  }
}

/** Opens the Cleaner in the editor area (or brings it to the front), on `category` when given. */
export async function openCleaner(studio: Studio, onDatasetChanged: () => void, category?: string): Promise<void> {
  await CleanerPanel.show({ extensionUri: studio.extensionUri, log: studio.log, onDatasetChanged, category });
}

/** fastai's lr_find on the project's data; the suggested rate can go straight into deepfake-studio.json. */
export async function findLearningRate(studio: Studio): Promise<void> {
  const found = await runTask(studio.log, "Finding a learning rate", async ({ signal, onProgress }) => {
    requireTrust("Find Learning Rate");
    const { projectDir, config } = await openProject();
    const { lrFind } = await loadHeavyCore();
    return { projectDir, config, result: await lrFind({ projectDir, config, signal, onProgress }) };
  });
  if (!found) return;
  const { valley, steep, minimum } = found.result.suggestions;
  const rate = Number(valley.toPrecision(2));
  studio.log.info(`Learning-rate finder: valley ${valley}, steep ${steep}, minimum/10 ${minimum}${found.result.stoppedEarly ? " (stopped when the loss exploded)" : ""}.`);
  const use = "Use It";
  const picked = await vscode.window.showInformationMessage(
    `Suggested learning rate: ${rate} (fastai's "valley"; now ${found.config.train.learningRate}). Use it for training? It is written as train.learningRate in deepfake-studio.json.`,
    use,
    "Use It and Train",
  );
  if (!picked) return;
  try {
    const { setTrainSetting } = await loadCore();
    await setTrainSetting({ projectDir: found.projectDir, field: "learningRate", value: rate });
    studio.log.info(`train.learningRate set to ${rate}.`);
  } catch (error) {
    await reportError(error, studio.log, "Find Learning Rate");
    return;
  }
  if (picked !== use) await vscode.commands.executeCommand("deepfakeStudio.train");
}

/**
 * Offline (or behind a firewall): writes out the MobileNetV2 bundled with nsfwjs and makes it the project's backbone
 * (train.backbone), as `deepfake-studio backbone --offline` plus `--backbone nsfwjs-mobilenet_v2` do on the command line.
 */
export async function useOfflineBackbone(studio: Studio): Promise<void> {
  const done = await runTask(studio.log, "Writing the offline backbone", async () => {
    requireTrust("Use Offline Backbone");
    const { projectDir } = await openProject();
    const { writeOfflineBackbone, cacheDir, OFFLINE_BACKBONE_ID } = await loadHeavyCore();
    const modelJson = await writeOfflineBackbone({ cacheDir: cacheDir() });
    const { setTrainSetting } = await loadCore();
    await setTrainSetting({ projectDir, field: "backbone", value: OFFLINE_BACKBONE_ID });
    return { id: OFFLINE_BACKBONE_ID, modelJson };
  });
  if (!done) return;
  studio.log.info(`Offline backbone ${done.id} written to ${done.modelJson}; train.backbone set to it.`);
  // The environment variable wins over the project file (core's order): say so rather than train with it silently.
  const env = process.env.DEEPFAKE_STUDIO_BACKBONE?.trim();
  const caveat = env ? ` DEEPFAKE_STUDIO_BACKBONE is set (${env}) and wins over the project file: unset it to use this one.` : "";
  const next = await vscode.window.showInformationMessage(`The project now uses the ${done.id} backbone (bundled with nsfwjs, no download): train.backbone in deepfake-studio.json.${caveat}`, "Train");
  if (next) await vscode.commands.executeCommand("deepfakeStudio.train");
}
