/** `deepfake-studio gather` and `import`: fill data/<label>/ from image search or a local folder. */
import type { Command } from "commander";
import { importFolder } from "../../core/gather/import-folder";
import { gather } from "../../core/gather/gather";
import { describeConflict, describeIgnored } from "../../core/dataset/describe-ingest";
import type { IngestReport } from "../../core/dataset/ingest-image";
import { cliContext } from "../main";
import { formatTable, printProgress } from "../output";
import { loadProjectOf } from "./context";

export function registerGatherCommands(program: Command): void {
  program
    .command("gather")
    .description("search DuckDuckGo per category, download, verify, resize, de-duplicate; re-running resumes")
    .option("-c, --category <label...>", "only these categories")
    .option("-n, --max-images <count>", "search results per category (overrides maxImages)", parsePositiveInt)
    .option("--json", "print the report as JSON")
    .action(async (options: { category?: string[]; maxImages?: number; json?: boolean }, command: Command) => {
      const { projectDir, config } = await loadProjectOf(command);
      const report = await gather({ projectDir, config, labels: options.category, maxImages: options.maxImages, onProgress: printProgress(), signal: cliContext.signal });
      printReport(report, options.json);
    });

  program
    .command("import <folder>")
    .description("add local images (e.g. your own photos of the person) to a category, through the same pipeline")
    .requiredOption("-l, --label <label>", "the category they belong to")
    .option("--json", "print the report as JSON")
    .action(async (folder: string, options: { label: string; json?: boolean }, command: Command) => {
      const { projectDir, config } = await loadProjectOf(command);
      const report = await importFolder({ projectDir, config, folder, label: options.label, onProgress: printProgress(), signal: cliContext.signal });
      printReport(report, options.json);
    });
}

function printReport(report: IngestReport, json: boolean | undefined): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const rows = report.categories.map((row) => [
    row.label,
    row.found,
    row.alreadyKnown,
    row.fetched,
    Object.values(row.failed).reduce((sum, count) => sum + count, 0),
    row.duplicates + row.nearDuplicates,
    row.crossCategory,
    row.kept,
    row.total,
  ]);
  process.stdout.write(`\n${formatTable(["category", "found", "known", "fetched", "failed", "duplicates", "cross-label", "kept", "total"], rows)}\n`);
  for (const row of report.categories) {
    const reasons = Object.entries(row.failed).sort(([a], [b]) => a.localeCompare(b));
    if (reasons.length > 0) process.stdout.write(`failed (${row.label}): ${reasons.map(([reason, count]) => `${reason} ${count}`).join(", ")}\n`);
    const ignored = describeIgnored(row.ignored);
    if (ignored) process.stdout.write(`not read (${row.label}): ${ignored}\n`);
    const noFace = row.failed["no-face"] ?? 0;
    if (noFace > 0) process.stdout.write(`${noFace} picture(s) for ${row.label} show no face the detector could find; they were not added (faceCrop is on). data/skipped.jsonl lists them with reason "no-face".\n`);
    if (row.multipleFaces > 0) process.stdout.write(`${row.multipleFaces} picture(s) for ${row.label} show several faces; the largest was kept — check those crops in the cleaner.\n`);
  }
  for (const conflict of report.conflicts) process.stdout.write(`label conflict: ${describeConflict(conflict)}\n`);
}

function parsePositiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`expected a positive whole number, got "${value}"`);
  return parsed;
}
