/** Reads and validates a run's head.json and metrics.json (the trainer's contract, src/core/train/run-files.ts). */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { describeFsError } from "../shared/errors";
import { TORCH_BACKBONES } from "../train/engines/torch-backbone-names";
import type { RunHead, RunMetrics } from "../train/run-files";
import { ExportError } from "./export-errors";
import { describeSchemaIssue, labelsSchema, preprocessSchema } from "./export-format";

const finite = z.number().finite();

const headSchema = z.object({
  labels: labelsSchema,
  featureLength: z.number().int().min(1),
  mean: z.array(finite),
  std: z.array(finite.positive("must be positive (a zero std cannot standardise)")),
  weights: z.array(finite),
  bias: z.array(finite),
  backbone: z.object({
    id: z.string().min(1),
    kind: z.string().min(1),
    location: z.string().min(1),
    modelJsonSha256: z.string().regex(/^[0-9a-f]{64}$/, "must be a lowercase hex sha256"),
    taps: z.array(z.object({ layer: z.string().min(1), pooling: z.array(z.enum(["avg", "max", "face-avg", "face-max"])) })).min(1),
  }),
  preprocess: preprocessSchema,
});

const epochSchema = z.object({ epoch: z.number().int(), trainLoss: finite, validLoss: finite, errorRate: finite, seconds: finite });

const metricsSchema = z.object({
  runId: z.string(),
  createdAt: z.string(),
  seed: finite,
  validPct: finite,
  epochs: z.array(epochSchema),
  errorRate: finite,
  keptEpoch: z.number().int().nonnegative().optional(),
  confusion: z.object({ labels: z.array(z.string()), matrix: z.array(z.array(finite)) }),
  counts: z.object({ train: z.record(finite), valid: z.record(finite) }),
  phases: z.object({ decode: finite, features: finite, head: finite, total: finite }),
  unreadable: z.array(z.string()),
  audit: z.object({
    fakeLabel: z.string(),
    sampled: z.record(finite),
    noFace: finite,
    checks: z.array(z.object({ cue: z.enum(["identity", "picture-size", "border", "jpeg-bytes-per-pixel"]), balancedAccuracy: finite.nullable(), pictures: finite, separates: z.boolean() })),
    warnings: z.array(z.string()),
  }).optional(),
  synthesized: z.object({ mode: z.enum(["off", "add", "only"]), choice: z.string().optional(), train: z.record(finite), valid: z.record(finite) }).optional(),
  sameIdentityBlends: z.object({ fakeLabel: z.string().nullable(), scored: finite, flagged: finite, share: finite.nullable(), threshold: finite.optional(), note: z.string().optional() }).optional(),
  // zod drops what the schema does not name: without this the model card lost the run's "where it looked".
  whereItLooked: z.object({ pictures: finite, faceShare: finite, mostlyElsewhere: finite, warning: z.string().optional(), note: z.string() }).optional(),
  heldOutThreshold: z.object({ label: z.string().min(1), threshold: z.number().gt(0).lt(1), maxFpr: z.number().min(0).lt(1), realPictures: z.number().int().min(1), fpr: z.number().min(0).max(1) }).optional(),
});

/** runs/<id>/run.json of a PyTorch run (local or a Hugging Face Job): the parts export reads (fine-tune-with-script.ts writes more). */
const torchRunSchema = z.object({
  engine: z.enum(["torch", "hf-jobs"]),
  /** Engine "hf-jobs": the hardware the Job ran on. */
  job: z.object({ flavor: z.string() }).passthrough().optional(),
  labels: labelsSchema,
  backbone: headSchema.shape.backbone,
  preprocess: preprocessSchema,
  python: z.object({ torch: z.string(), torchvision: z.string(), device: z.string() }),
  settings: z.object({
    freezeEpochs: z.number().int().min(0), epochs: z.number().int().min(1), learningRate: finite, batchSize: z.number().int().min(1),
    // Runs made before other networks were offered fine-tuned MobileNetV2.
    architecture: z.enum(TORCH_BACKBONES).default("mobilenet_v2"),
  }),
});

/** A validated PyTorch run: its model is runs/<id>/model.onnx itself. */
export interface TorchRunFiles {
  record: z.infer<typeof torchRunSchema>;
  metrics: RunMetrics;
}

/** "torch" when a PyTorch run (local or a Hugging Face Job) wrote the folder (no head.json; run.json says so), else "studio". */
export async function runEngine(runDir: string): Promise<"studio" | "torch"> {
  if (await fs.stat(path.join(runDir, "head.json")).then(() => true, () => false)) return "studio";
  try {
    const record = JSON.parse(await fs.readFile(path.join(runDir, "run.json"), "utf8")) as { engine?: unknown };
    return record.engine === "torch" || record.engine === "hf-jobs" ? "torch" : "studio";
  } catch {
    // readRun then names the missing head.json.
    return "studio";
  }
}

/** Reads a PyTorch run's run.json and metrics.json; throws ExportError naming the file and the bad field. */
export async function readTorchRun(params: { runDir: string }): Promise<TorchRunFiles> {
  const record = (await readJson(params.runDir, "run.json", torchRunSchema)) as TorchRunFiles["record"];
  const metrics = (await readJson(params.runDir, "metrics.json", metricsSchema)) as RunMetrics;
  return { record, metrics };
}

/** A validated run. */
export interface RunFiles {
  head: RunHead;
  metrics: RunMetrics;
}

/** Reads runs/<id>/head.json and metrics.json; throws ExportError naming the file and the bad field. */
export async function readRun(params: { runDir: string }): Promise<RunFiles> {
  const head = (await readJson(params.runDir, "head.json", headSchema)) as RunHead;
  const metrics = (await readJson(params.runDir, "metrics.json", metricsSchema)) as RunMetrics;
  checkHeadSizes(head, params.runDir);
  return { head, metrics };
}

/** The array lengths must agree, or the graph would be wrong in a way no runtime reports clearly. */
function checkHeadSizes(head: RunHead, runDir: string): void {
  const features = head.featureLength;
  const classes = head.labels.length;
  const expected = { mean: features, std: features, weights: features * classes, bias: classes };
  for (const [key, length] of Object.entries(expected) as [keyof typeof expected, number][]) {
    if (head[key].length !== length) {
      throw invalidRun(runDir, "head.json", `"${key}" has ${head[key].length} numbers; ${features} features and ${classes} labels need ${length}`);
    }
  }
}

/** Parses one JSON file of the run against its schema. */
async function readJson(runDir: string, name: string, schema: z.ZodTypeAny): Promise<unknown> {
  const file = path.join(runDir, name);
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw invalidRun(runDir, name, "the file is missing");
    throw describeFsError(error, file);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw invalidRun(runDir, name, `it is not valid JSON (${(error as Error).message})`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw invalidRun(runDir, name, describeSchemaIssue(parsed.error));
  return parsed.data;
}

/** The ExportError for a run folder whose files do not follow the contract. */
function invalidRun(runDir: string, name: string, problem: string): ExportError {
  return new ExportError(`The run ${path.basename(runDir)} cannot be exported: ${name}: ${problem}.`, "run-invalid",
    ["Train again (", { step: "train" }, ") or export another run", { cliOnly: " with --run <id>" }, `; the run folder is ${runDir}.`]);
}
