/** `deepfake-studio clean`: the cleaner on the command line — show top losses, apply decisions, undo. */
import { Option, type Command } from "commander";
import { applyCleaning } from "../../core/clean/apply-cleaning";
import type { CleaningDecision } from "../../core/clean/cleaning-decision";
import { listTopLosses } from "../../core/clean/list-top-losses";
import { undoLastCleaning } from "../../core/clean/undo-last-cleaning";
import { StudioError } from "../../core/shared/errors";
import { parsePositiveInt } from "../option-parsers";
import { formatTable } from "../output";
import { loadProjectOf } from "./context";

export function registerCleanCommand(program: Command): void {
  const clean = program.command("clean").description("review images by loss and delete or relabel them (fastai's ImageClassifierCleaner)");

  clean
    .command("show")
    .description("list a run's images, highest loss first")
    .option("-c, --category <label>", "only this label (one of the project's categories)")
    .addOption(new Option("-s, --split <split>", "only this split").choices(["train", "valid"]))
    .option("-n, --top <count>", "how many rows (1 or more)", parsePositiveInt, 20)
    .option("--run <id>", "which run (default: the latest)")
    .action(async (options: { category?: string; split?: "train" | "valid"; top: number; run?: string }, command: Command) => {
      const { projectDir, config } = await loadProjectOf(command);
      const { runId, items } = await listTopLosses({ projectDir, config, runId: options.run, label: options.category, split: options.split });
      const rows = items.slice(0, options.top).map((item) => [item.file, item.split, item.label, item.predicted, `${((item.probabilities[item.predicted] ?? 0) * 100).toFixed(1)}%`, item.loss.toFixed(3)]);
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
          if (at <= 0) throw new StudioError(`--relabel expects <file>=<label>, got "${pair}".`, "invalid-argument", 'For example: --relabel "Real/A.jpg=Deepfake".');
          return { file: pair.slice(0, at), action: "relabel", label: pair.slice(at + 1) };
        }),
      ];
      const result = await applyCleaning({ projectDir, config, decisions });
      process.stdout.write(`Deleted ${result.deleted} (to the trash), relabelled ${result.relabelled}.${result.batchId ? " Undo with: deepfake-studio clean undo" : ""}\n`);
    });

  clean
    .command("undo")
    .description("undo the last applied cleaning (also one that stopped part-way)")
    .action(async (_options: object, command: Command) => {
      const { projectDir, config } = await loadProjectOf(command);
      const result = await undoLastCleaning({ projectDir, config });
      const interrupted = result.interrupted ? " (it had stopped part-way; pictures it had not moved yet were left where they are)" : "";
      process.stdout.write(`Restored ${result.restored} file(s) from cleaning ${result.batchId}${interrupted}.\n`);
      for (const renamed of result.renamed) process.stdout.write(`  restored beside its old name (the name was taken): ${renamed}\n`);
      if (result.notRestored.length === 0) return;
      process.stderr.write(`${result.notRestored.length} file(s) could not be restored:\n`);
      for (const { file, reason } of result.notRestored) process.stderr.write(`  ${file}: ${reason}\n`);
      if (result.canRetry) process.stderr.write("  Fix that and run `deepfake-studio clean undo` again: the journal of those files is kept.\n");
      process.exitCode = 1;
    });
}
