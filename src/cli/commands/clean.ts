/** `deepfake-studio clean`: the cleaner on the command line — show top losses, apply decisions, undo. */
import type { Command } from "commander";
import { applyCleaning } from "../../core/clean/apply-cleaning";
import type { CleaningDecision } from "../../core/clean/cleaning-decision";
import { listTopLosses } from "../../core/clean/list-top-losses";
import { undoLastCleaning } from "../../core/clean/undo-last-cleaning";
import { formatTable } from "../output";
import { loadProjectOf } from "./context";

export function registerCleanCommand(program: Command): void {
  const clean = program.command("clean").description("review images by loss and delete or relabel them (fastai's ImageClassifierCleaner)");

  clean
    .command("show")
    .description("list a run's images, highest loss first")
    .option("-c, --category <label>", "only this label")
    .option("-s, --split <split>", "train or valid")
    .option("-n, --top <count>", "how many rows", "20")
    .option("--run <id>", "which run (default: the latest)")
    .action(async (options: { category?: string; split?: "train" | "valid"; top: string; run?: string }, command: Command) => {
      const { projectDir, config } = await loadProjectOf(command);
      const { runId, items } = await listTopLosses({ projectDir, config, runId: options.run, label: options.category, split: options.split });
      const rows = items.slice(0, Number(options.top)).map((item) => [item.file, item.split, item.label, item.predicted, `${(item.probabilities[item.predicted] * 100).toFixed(1)}%`, item.loss.toFixed(3)]);
      process.stdout.write(`run ${runId}\n${formatTable(["file", "split", "label", "predicted", "confidence", "loss"], rows)}\n`);
    });

  clean
    .command("apply")
    .description("delete (to the trash) and relabel images; undo with `clean undo`")
    .option("-d, --delete <file...>", "files (relative to the data folder) to move to the trash")
    .option("-r, --relabel <file=label...>", "files to move to another label")
    .action(async (options: { delete?: string[]; relabel?: string[] }, command: Command) => {
      const { projectDir, config } = await loadProjectOf(command);
      const decisions: CleaningDecision[] = [
        ...(options.delete ?? []).map((file): CleaningDecision => ({ file, action: "delete" })),
        ...(options.relabel ?? []).map((pair): CleaningDecision => {
          const at = pair.lastIndexOf("=");
          if (at <= 0) throw new Error(`--relabel expects <file>=<label>, got "${pair}"`);
          return { file: pair.slice(0, at), action: "relabel", label: pair.slice(at + 1) };
        }),
      ];
      const result = await applyCleaning({ projectDir, config, decisions });
      process.stdout.write(`Deleted ${result.deleted} (to the trash), relabelled ${result.relabelled}.${result.batchId ? " Undo with: deepfake-studio clean undo" : ""}\n`);
    });

  clean
    .command("undo")
    .description("undo the last applied cleaning")
    .action(async (_options: object, command: Command) => {
      const { projectDir, config } = await loadProjectOf(command);
      const result = await undoLastCleaning({ projectDir, config });
      process.stdout.write(`Restored ${result.restored} file(s) from cleaning ${result.batchId}.\n`);
      for (const renamed of result.renamed) process.stdout.write(`  restored beside its old name (the name was taken): ${renamed}\n`);
    });
}
