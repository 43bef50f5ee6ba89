/** `deepfake-studio train` and `deepfake-studio runs`: train a head on the frozen backbone, list the runs. */
import { InvalidArgumentError, type Command } from "commander";
import * as path from "node:path";
import { describeAudit } from "../../core/audit/describe-audit";
import { describeWhereItLooked } from "../../core/cam/describe-where-it-looked";
import { describeSameIdentityCheck, describeSynthesized } from "../../core/synthesize/blend-sensitivity";
import { listRuns } from "../../core/train/list-runs";
import { lrFind } from "../../core/train/lr-find";
import type { EpochRecord } from "../../core/train/run-files";
import { train } from "../../core/train/train";
import { cliContext } from "../cli-context";
import { formatTable, printProgress } from "../output";
import { loadProjectOf } from "./context";

/** Options of `train`. */
interface TrainOptions {
  epochs?: number;
  backbone?: string;
  lr?: number;
  augmentViews?: number;
  lrFind?: boolean;
  json?: boolean;
  engine?: string;
  flavor?: string;
  torchBackbone?: string;
}

/** fastai's progress table columns and their width (fastai pads every cell to its header). */
const COLUMNS = ["epoch", "train_loss", "valid_loss", "error_rate", "time"] as const;
const WIDTH = 12;

/** Adds `train` and `runs`. */
export function registerTrainCommand(program: Command): void {
  program
    .command("train")
    .description("train a detector head on the frozen pretrained backbone (fastai fine_tune) and write runs/<run-id>/")
    .option("-e, --epochs <n>", "epochs (overrides train.epochs)", parsePositiveInt)
    .option("--backbone <id|path|url>", "backbone id, tfjs model.json path/folder, or http(s) URL (default: $DEEPFAKE_STUDIO_BACKBONE, train.backbone, or mobilenet_v2_1.00_224)")
    .option("--lr <rate>", "peak learning rate (overrides train.learningRate)", parsePositiveNumber)
    .option("--augment-views <n>", "augmented views per training image (overrides train.augmentViews)", parseCount)
    .option("--engine <studio|torch|hf-jobs>", "studio: frozen backbone + head, offline (default); torch: fine-tune the whole network with your PyTorch; hf-jobs: the same as a Hugging Face GPU Job, Pro/Team plan (overrides train.engine)")
    .option("--torch-backbone <name>", "network the torch and hf-jobs engines fine-tune: mobilenet_v2 (default: the studio's own weights, offline), resnet18, resnet34 or efficientnet_b0 (torchvision's ImageNet weights, downloaded once into TORCH_HOME) (overrides train.torchBackbone)")
    .option("--flavor <hardware>", "hardware of an hf-jobs run, e.g. t4-small, a10g-small (overrides train.hfJobs.flavor)")
    .option("--lr-find", "only run fastai's learning-rate finder and print the suggested rate")
    .option("--json", "print the result as JSON instead of tables")
    .action(async (options: TrainOptions, command: Command) => {
      const { projectDir, config: loaded } = await loadProjectOf(command);
      const config = options.flavor ? { ...loaded, train: { ...loaded.train, hfJobs: { ...loaded.train.hfJobs, flavor: options.flavor } } } : loaded;
      const common = { projectDir, config, backbone: options.backbone, augmentViews: options.augmentViews, signal: cliContext.signal, onProgress: printProgress() };
      if (options.lrFind) {
        const found = await lrFind(common);
        if (options.json) {
          process.stdout.write(`${JSON.stringify(found, null, 2)}\n`);
          return;
        }
        const { valley, steep, minimum } = found.suggestions;
        process.stdout.write(`${formatTable(["suggestion", "lr"], [["valley (fastai default)", formatLr(valley)], ["steep", formatLr(steep)], ["minimum/10", formatLr(minimum)]])}\n`);
        process.stdout.write(`Train with it: deepfake-studio train --lr ${formatLr(valley)}   (or set train.learningRate in deepfake-studio.json)\n`);
        return;
      }
      // The header goes out with the first row, as fastai prints it when fitting starts (after the features).
      const printRow = (record: EpochRecord) => {
        if (record.epoch === 0) process.stdout.write(`${COLUMNS.map((column) => column.padEnd(WIDTH)).join("").trimEnd()}\n`);
        process.stdout.write(`${formatEpoch(record)}\n`);
      };
      const result = await train({ ...common, engine: options.engine, torchBackbone: options.torchBackbone, epochs: options.epochs, learningRate: options.lr, onEpoch: options.json ? undefined : printRow });
      if (options.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      const { metrics } = result;
      const { labels, matrix } = metrics.confusion;
      process.stdout.write(`\nConfusion matrix (validation, rows = actual, columns = predicted):\n`);
      process.stdout.write(`${formatTable(["actual \\ predicted", ...labels], labels.map((label, row) => [label, ...matrix[row]]))}\n`);
      if (metrics.keptEpoch !== undefined) process.stdout.write(`\nKept epoch ${metrics.keptEpoch}: the lowest valid_loss (${metrics.epochs[metrics.keptEpoch].validLoss.toFixed(6)}); the confusion matrix, the cleaner and export use it.\n`);
      process.stdout.write(`\nerror_rate ${metrics.errorRate.toFixed(4)} on ${matrix.flat().reduce((a, b) => a + b, 0)} validation images`);
      const { hits, computed } = result.featureCache;
      process.stdout.write(`${hits + computed > 0 ? `; features ${hits} cached, ${computed} computed` : ""}; ${metrics.phases.total.toFixed(1)} s\n`);
      if (metrics.audit) process.stdout.write(`\n${describeAudit(metrics.audit).join("\n")}\n`);
      const [blends, ...blendNotes] = describeSameIdentityCheck(metrics);
      process.stdout.write(`${describeSynthesized(metrics)}${blends}\n${blendNotes.map((line) => `${line}\n`).join("")}`);
      if (metrics.whereItLooked) process.stdout.write(`${describeWhereItLooked(metrics.whereItLooked).join("\n")}\n`);
      if (metrics.unreadable.length > 0) process.stdout.write(`Skipped ${metrics.unreadable.length} unreadable file(s): ${metrics.unreadable.join(", ")}\n`);
      const relative = path.relative(process.cwd(), result.runDir);
      process.stdout.write(`Run folder: ${relative && !relative.startsWith("..") ? relative : result.runDir}\n`);
    });

  program
    .command("runs")
    .description("list the training runs of the project (oldest first)")
    .option("--json", "print the list as JSON")
    .action(async (options: { json?: boolean }, command: Command) => {
      const { projectDir } = await loadProjectOf(command);
      const runs = await listRuns({ projectDir });
      if (options.json) {
        process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
        return;
      }
      if (runs.length === 0) {
        process.stdout.write("No runs yet. Train one with: deepfake-studio train\n");
        return;
      }
      const rows = runs.map((run) => [
        run.runId,
        run.createdAt ? run.createdAt.replace("T", " ").replace(/\.\d+Z$/, "Z") : "",
        run.epochs ?? "",
        run.errorRate === undefined ? "" : run.errorRate.toFixed(4),
        run.train ?? "",
        run.valid ?? "",
        run.problem ?? "",
      ]);
      process.stdout.write(`${formatTable(["run", "date (UTC)", "epochs", "error_rate", "train", "valid", "note"], rows)}\n`);
    });
}

/** One table row the way fastai prints it: losses with 6 decimals, time as mm:ss. */
export function formatEpoch(record: EpochRecord): string {
  const cells = [String(record.epoch), record.trainLoss.toFixed(6), record.validLoss.toFixed(6), record.errorRate.toFixed(6), formatTime(record.seconds)];
  return cells.map((cell) => cell.padEnd(WIDTH)).join("").trimEnd();
}

/** fastai format_time: "00:01", or "1:02:03" past an hour. */
function formatTime(seconds: number): string {
  const total = Math.floor(seconds);
  const [h, m, s] = [Math.floor(total / 3600), Math.floor(total / 60) % 60, total % 60];
  const two = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}

function formatLr(lr: number): string {
  return lr.toExponential(2).replace(/\.?0+e/, "e");
}

function parsePositiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError(`expected a positive whole number, got "${value}"`);
  return parsed;
}

function parseCount(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError(`expected a whole number ≥ 0, got "${value}"`);
  return parsed;
}

function parsePositiveNumber(value: string): number {
  const parsed = Number(value);
  if (!(parsed > 0) || !Number.isFinite(parsed)) throw new InvalidArgumentError(`expected a positive number, got "${value}"`);
  return parsed;
}

