/** `gather`: search each category (engine after engine), download, verify, resize, de-duplicate and record provenance (fastai lesson 2, hardened). */
import { faceCropSettings } from "../face-crop/face-crop-settings";
import { DatasetWriter } from "../dataset/dataset-writer";
import { countFailure, ingestImage, newCategoryReport, type CategoryReport, type IngestReport, type LabelConflict } from "../dataset/ingest-image";
import { resolveDataDir, type CategoryConfig, type ProjectConfig } from "../project/project-config";
import { CancelledError, StudioError, throwIfAborted } from "../shared/errors";
import type { OperationOptions } from "../shared/progress";
import { runBounded } from "../shared/run-bounded";
import { sleep } from "../shared/sleep";
import type { Dispatcher } from "undici";
import { createDownloadDispatcher, DownloadError, downloadImage } from "./download-image";
import type { EngineName, ImageSearchResult } from "./engines";
import { searchWithEngines } from "./search-with-engines";

export interface GatherParams extends OperationOptions {
  projectDir: string;
  config: ProjectConfig;
  /** Only these labels (default: every category with a search query). */
  labels?: string[];
  /** Overrides config.maxImages for this run. */
  maxImages?: number;
  /** Overrides config.search.engines for this run (`--engine`). */
  engines?: EngineName[];
  /** Brave Search API key from the editor's secret storage (else BRAVE_API_KEY); never printed or written. */
  braveApiKey?: string;
  /** Connections for searches and downloads (default: one honouring HTTPS_PROXY / NO_PROXY, closed at the end). */
  dispatcher?: Dispatcher;
}

/** Runs the whole gather; re-running is incremental (known URLs are skipped, files never overwritten). */
export async function gather(params: GatherParams): Promise<IngestReport> {
  const { config, onProgress, signal } = params;
  const categories = selectCategories(config, params.labels);
  const dataDir = resolveDataDir(params.projectDir, config);
  const writer = await DatasetWriter.open(dataDir, { faceCrop: config.faceCrop, dedupe: config.dedupe });
  const dispatcher = params.dispatcher ?? createDownloadDispatcher();
  const report: IngestReport = { categories: [], conflicts: [] };
  const networkWarnings = new Set<string>();
  try {
    for (const [index, category] of categories.entries()) {
      // Be polite to the engines between searches, as the seed notebook's time.sleep(5).
      if (index > 0) await sleep(config.search.delaySeconds * 1000, signal);
      const row = newCategoryReport(category.label, category.search);
      report.categories.push(row);
      onProgress?.({ event: "phase", phase: "search", message: `Searching "${category.search}" for ${category.label}…` });
      const results = await searchWithEngines({
        engines: params.engines ?? config.search.engines,
        query: category.search!,
        maxImages: params.maxImages ?? config.maxImages,
        retries: config.search.retries,
        backoffMs: config.search.backoffSeconds * 1000,
        timeoutMs: config.search.timeoutSeconds * 1000,
        dispatcher,
        braveApiKey: params.braveApiKey,
        onProgress,
        signal,
      });
      row.found = results.length;
      row.engines = countByEngine(results);
      if (results.length === 0) onProgress?.({ event: "warning", message: `No images found for "${category.search}". Try a broader query in deepfake-studio.json.` });
      await downloadCategory({ results, category, row, conflicts: report.conflicts, writer, config, dispatcher, networkWarnings, onProgress, signal });
    }
  } finally {
    // destroy, not close: close would wait for a request stuck on a dead proxy.
    if (!params.dispatcher) await dispatcher.destroy();
  }
  throwIfAborted(signal, "gather");
  const totals = writer.countByLabel();
  for (const row of report.categories) row.total = totals.get(row.label) ?? 0;
  return report;
}

function countByEngine(results: ImageSearchResult[]): CategoryReport["engines"] {
  const counts: NonNullable<CategoryReport["engines"]> = {};
  for (const result of results) (counts[result.engine] ??= { found: 0, kept: 0 }).found += 1;
  return counts;
}

/** Kinds that fail every download alike (the table would only say "certificate 200"): explained once, with the fix. */
const SHARED_CAUSES: ReadonlySet<string> = new Set(["offline", "proxy-unreachable", "proxy-auth", "proxy-refused", "tls"]);

function warnAboutNetwork(error: DownloadError, params: { networkWarnings: Set<string> } & OperationOptions): void {
  const problem = error.problem;
  if (!problem || !SHARED_CAUSES.has(problem.kind) || params.networkWarnings.has(problem.kind)) return;
  params.networkWarnings.add(problem.kind);
  params.onProgress?.({ event: "warning", message: `Downloads fail: ${problem.message} ${problem.hint}` });
}

function selectCategories(config: ProjectConfig, labels: string[] | undefined): CategoryConfig[] {
  const searchable = config.categories.filter((category) => category.search);
  if (!labels || labels.length === 0) {
    if (searchable.length === 0) throw new StudioError("No category in deepfake-studio.json has a search query.", "nothing-to-gather", ['Add "search": "…" to a category, or use ', { step: "import" }, "."]);
    return searchable;
  }
  return labels.map((label) => {
    const category = config.categories.find((candidate) => candidate.label === label);
    if (!category) throw new StudioError(`No category "${label}" in deepfake-studio.json.`, "unknown-category", `Known categories: ${config.categories.map((c) => `"${c.label}"`).join(", ")}.`);
    if (!category.search) throw new StudioError(`Category "${label}" has no search query.`, "nothing-to-gather", ['Add "search": "…" to it, or fill it with ', { step: "import", label }, "."]);
    return category;
  });
}

async function downloadCategory(params: {
  results: ImageSearchResult[];
  category: CategoryConfig;
  row: CategoryReport;
  conflicts: LabelConflict[];
  writer: DatasetWriter;
  config: ProjectConfig;
  dispatcher: ReturnType<typeof createDownloadDispatcher>;
  /** Network problems already explained in a warning during this run. */
  networkWarnings: Set<string>;
} & OperationOptions): Promise<void> {
  const { results, category, row, writer, config, signal, onProgress } = params;
  const todo = results.filter((result) => !writer.isKnown(result.imageUrl));
  row.alreadyKnown = results.length - todo.length;
  onProgress?.({ event: "phase", phase: "download", message: `Downloading ${todo.length} new images for ${category.label} (${row.alreadyKnown} already known)…` });
  let done = 0;
  await runBounded(todo, config.download.concurrency, async (result) => {
    await fetchAndIngest({ ...params, result });
    // A download ended by Cancel is not done: it is fetched again next run.
    if (signal?.aborted) return;
    done += 1;
    onProgress?.({ event: "progress", phase: "download", done, total: todo.length, message: category.label });
  }, signal);
}

async function fetchAndIngest(params: Parameters<typeof downloadCategory>[0] & { result: ImageSearchResult }): Promise<void> {
  const { result, row, writer, config, category } = params;
  let bytes: Buffer;
  try {
    const download = await downloadImage({
      url: result.imageUrl,
      timeoutMs: config.download.timeoutSeconds * 1000,
      maxBytes: config.download.maxBytes,
      maxRedirects: config.download.maxRedirects,
      signal: params.signal,
      dispatcher: params.dispatcher,
    });
    bytes = download.body;
  } catch (error) {
    if (error instanceof CancelledError) return;
    if (!(error instanceof DownloadError)) throw error;
    countFailure(row, error.reason);
    warnAboutNetwork(error, params);
    // Transient failures (timeouts, 5xx) are tried again next run; permanent ones are remembered.
    if (!error.transient) await writer.skip({ label: category.label, imageUrl: result.imageUrl, reason: error.reason, detail: error.message, time: new Date().toISOString() });
    return;
  }
  row.fetched += 1;
  const kept = await ingestImage({
    writer,
    bytes,
    label: category.label,
    origin: { source: result.engine, query: category.search, imageUrl: result.imageUrl, pageUrl: result.pageUrl, title: result.title, license: result.license, licenseUrl: result.licenseUrl, author: result.author },
    resizeMax: config.resizeMax,
    report: row,
    conflicts: params.conflicts,
    faceCrop: config.faceCrop ? faceCropSettings(config) : undefined,
  });
  const tally = row.engines?.[result.engine];
  if (kept && tally) tally.kept += 1;
}
