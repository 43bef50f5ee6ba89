/** `deepfake-studio gather` and `import`: fill data/<label>/ from image search or a local folder. */
import { Option, type Command } from "commander";
import { ENGINE_NAMES, type EngineName } from "../../core/gather/engines/engine-names";
import * as path from "node:path";
import { importFolder } from "../../core/gather/import-folder";
import { importVideo, VIDEO_EXTENSIONS } from "../../core/gather/import-video";
import { gather } from "../../core/gather/gather";
import { describeConflict, describeIgnored } from "../../core/dataset/describe-ingest";
import type { IngestReport } from "../../core/dataset/ingest-image";
import { cliContext } from "../cli-context";
import { formatTable, printProgress } from "../output";
import { loadProjectOf } from "./context";

export function registerGatherCommands(program: Command): void {
  program
    .command("gather")
    .description("search images per category (search.engines, in order), download, verify, resize, de-duplicate; re-running resumes")
    .option("-c, --category <label...>", "only these categories")
    .option("-n, --max-images <count>", "search results per category (overrides maxImages)", parsePositiveInt)
    .addOption(new Option("-e, --engine <name>", "search with this engine only (overrides search.engines; brave reads BRAVE_API_KEY)").choices(ENGINE_NAMES))
    .option("--json", "print the report as JSON")
    .action(async (options: { category?: string[]; maxImages?: number; engine?: EngineName; json?: boolean }, command: Command) => {
      const { projectDir, config } = await loadProjectOf(command);
      const engines = options.engine ? [options.engine] : undefined;
      const report = await gather({ projectDir, config, labels: options.category, maxImages: options.maxImages, engines, onProgress: printProgress(), signal: cliContext.signal });
      printReport(report, options.json);
    });

  program
    .command("import <sources...>")
    .description("add local images (a folder of your own photos) or frames sampled from videos to a category, through the same pipeline")
    .requiredOption("-l, --label <label>", "the category they belong to")
    .option("--fps <frames>", "frames sampled per second of video (default 1)", parsePositiveNumber)
    .option("--json", "print the report as JSON")
    .action(async (sources: string[], options: { label: string; fps?: number; json?: boolean }, command: Command) => {
      const { projectDir, config } = await loadProjectOf(command);
      for (const source of sources) {
        const common = { projectDir, config, label: options.label, onProgress: printProgress(), signal: cliContext.signal };
        const isVideo = VIDEO_EXTENSIONS.has(path.extname(source).toLowerCase());
        const report = isVideo ? await importVideo({ ...common, file: source, fps: options.fps }) : await importFolder({ ...common, folder: source });
        printReport(report, options.json);
      }
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
    ...(row.engines ? [describeEngines(row.engines)] : []),
  ]);
  const engineColumn = report.categories.some((row) => row.engines) ? ["engines (kept/found)"] : [];
  process.stdout.write(`\n${formatTable(["category", "found", "known", "fetched", "failed", "duplicates", "cross-label", "kept", "total", ...engineColumn], rows)}\n`);
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

/** "duckduckgo 11/28, bing 3/5": what each engine brought. */
function describeEngines(engines: NonNullable<IngestReport["categories"][number]["engines"]>): string {
  const entries = Object.entries(engines);
  return entries.length === 0 ? "-" : entries.map(([name, count]) => `${name} ${count.kept}/${count.found}`).join(", ");
}

function parsePositiveNumber(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`expected a positive number, got "${value}"`);
  return parsed;
}

function parsePositiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`expected a positive whole number, got "${value}"`);
  return parsed;
}
