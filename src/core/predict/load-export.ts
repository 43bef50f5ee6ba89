/**
 * Opens an export folder safely: only model.onnx, labels.json and preprocess.json are read, each is validated
 * (schema, sizes, agreement with the labels and preprocessing stored inside the ONNX file) before anything runs.
 * An export is data: ONNX with standard operators and JSON; nothing in the folder is ever executed or unpickled.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import * as protobuf from "protobufjs";
import type { z } from "zod";
import { describeSchemaIssue, EXPORT_FILES, EXPORT_METADATA_KEYS, exportPreprocessSchema, labelsSchema, type DecisionThreshold } from "../export/export-format";
import { decodeOnnxModel } from "../onnx/decode-onnx-model";
import { ONNX_NAMES } from "../onnx/convert-layers-model";
import type { OnnxDimension, OnnxModel } from "../onnx/onnx-schema";
import type { Preprocess } from "../train/run-files";
import { InvalidExportError } from "./predict-errors";

/** A validated export, ready for createOnnxSession(modelBytes). */
export interface LoadedExport {
  modelDir: string;
  /** The ONNX bytes, already checked; sessions are created from these bytes (never re-read from disk). */
  modelBytes: Uint8Array;
  /** Class names; index = column of the `probabilities` output. */
  labels: string[];
  preprocess: Preprocess;
  /** preprocess.json `decision`: decide the fake label by this threshold instead of the arg-max; absent for most exports. */
  decision?: DecisionThreshold;
  /** model.onnx metadata_props (labels, backbone id and sha256, run id, …). */
  metadata: Record<string, string>;
  /** The graph's output names ("probabilities", "features", and "cam" when it draws activation maps). */
  outputNames: string[];
}

/** JSON side files are a few hundred bytes; anything huge is not ours. */
const MAX_JSON_BYTES = 1024 * 1024;
/** Far above any MobileNet/ResNet export; protects memory from a wrong file. */
const MAX_MODEL_BYTES = 1024 * 1024 * 1024;
/** The ONNX standard operator set; any other domain would need custom (native) operator code. */
const STANDARD_DOMAINS: ReadonlySet<string> = new Set(["", "ai.onnx"]);
/** TensorProto.DataType FLOAT. */
const FLOAT = 1;

/** Reads and validates `<modelDir>/{model.onnx,labels.json,preprocess.json}`; throws InvalidExportError saying what is wrong. */
export async function loadExport(params: { modelDir: string }): Promise<LoadedExport> {
  const modelDir = path.resolve(params.modelDir);
  await requireFolder(modelDir);
  const labels = (await readJsonFile(modelDir, EXPORT_FILES.labels, labelsSchema)) as string[];
  const { decision, ...preprocess } = (await readJsonFile(modelDir, EXPORT_FILES.preprocess, exportPreprocessSchema)) as Preprocess & { decision?: DecisionThreshold };
  const modelBytes = await readModel(modelDir);
  const model = decodeOrExplain(modelBytes, modelDir);
  const metadata = Object.fromEntries((model.metadataProps ?? []).map((entry) => [entry.key ?? "", entry.value ?? ""]));
  checkOperators(model, modelDir);
  checkNoExternalData(modelBytes, modelDir);
  checkSignature(model, labels, preprocess, modelDir);
  checkMetadata(metadata, labels, preprocess, modelDir);
  checkDecision(metadata, labels, decision, modelDir);
  const outputNames = (model.graph?.output ?? []).map((output) => output.name ?? "");
  return { modelDir, modelBytes, labels, preprocess, ...(decision ? { decision } : {}), metadata, outputNames };
}

/** The folder must exist and be a folder; the common mistake is not having exported yet. */
async function requireFolder(modelDir: string): Promise<void> {
  const stat = await fs.stat(modelDir).catch(() => undefined);
  if (!stat) throw new InvalidExportError(`There is no export at ${modelDir}.`, ["Run ", { step: "export" }, " first", { cliOnly: ", or pass --model <export folder>" }, "."]);
  if (!stat.isDirectory()) {
    throw new InvalidExportError(`${modelDir} is a file, not an export folder (model.onnx + labels.json + preprocess.json).`, "Pass the folder that holds model.onnx.");
  }
}

/** Reads one small JSON file of the export and validates it. */
async function readJsonFile(modelDir: string, name: string, schema: z.ZodTypeAny): Promise<unknown> {
  const text = (await readLimited(modelDir, name, MAX_JSON_BYTES)).toString("utf8");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new InvalidExportError(`${path.join(modelDir, name)} is not valid JSON (${(error as Error).message}); the export was refused.`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new InvalidExportError(`${path.join(modelDir, name)} is not a valid ${name}: ${describeSchemaIssue(parsed.error)}; the export was refused.`);
  return parsed.data;
}

/** model.onnx's bytes, with a size cap. */
async function readModel(modelDir: string): Promise<Uint8Array> {
  return readLimited(modelDir, EXPORT_FILES.model, MAX_MODEL_BYTES);
}

/** Reads a regular file of the export with a size limit; a missing file says the export is incomplete. */
async function readLimited(modelDir: string, name: string, maxBytes: number): Promise<Buffer> {
  const file = path.join(modelDir, name);
  const stat = await fs.stat(file).catch((error: NodeJS.ErrnoException) => error);
  if (stat instanceof Error) {
    if (stat.code === "ENOENT") throw new InvalidExportError(`${modelDir} has no ${name}, so it is not a complete export.`);
    throw new InvalidExportError(`Cannot read ${file} (${stat.code ?? stat.message}).`, "Check the file's permissions.");
  }
  if (!stat.isFile()) throw new InvalidExportError(`${file} is not a regular file; the export was refused.`);
  if (stat.size > maxBytes) throw new InvalidExportError(`${file} is ${stat.size} bytes, more than the ${maxBytes}-byte limit for it; the export was refused.`);
  return fs.readFile(file);
}

/** Parses the ONNX protobuf, naming the file when it is not ONNX at all. */
function decodeOrExplain(bytes: Uint8Array, modelDir: string): OnnxModel {
  try {
    return decodeOnnxModel(bytes);
  } catch (error) {
    throw new InvalidExportError(`${path.join(modelDir, EXPORT_FILES.model)} is not a readable ONNX model: ${(error as Error).message}`);
  }
}

/** Standard ONNX operators only: a custom domain would ask the runtime for operator code we did not write. */
function checkOperators(model: OnnxModel, modelDir: string): void {
  const foreign = [
    ...(model.opsetImport ?? []).map((opset) => opset.domain ?? ""),
    ...(model.graph?.node ?? []).map((node) => node.domain ?? ""),
  ].find((domain) => !STANDARD_DOMAINS.has(domain));
  if (foreign !== undefined) {
    throw new InvalidExportError(`${path.join(modelDir, EXPORT_FILES.model)} uses operators from the "${foreign}" domain; only standard ONNX operators are accepted.`);
  }
}

/** Minimal view of ModelProto.graph.initializer[].{external_data, data_location} (field numbers from onnx.proto). */
let externalDataType: protobuf.Type | undefined;

/** Weights stored in other files would make the runtime read paths chosen by the model file; ours are all inline. */
function checkNoExternalData(bytes: Uint8Array, modelDir: string): void {
  externalDataType ??= protobuf.Root.fromJSON({
    nested: {
      Model: { fields: { graph: { id: 7, type: "Graph" } } },
      Graph: { fields: { initializer: { id: 5, type: "Tensor", rule: "repeated" } } },
      Tensor: { fields: { name: { id: 8, type: "string" }, externalData: { id: 13, type: "Entry", rule: "repeated" }, dataLocation: { id: 14, type: "int32" } } },
      Entry: { fields: { key: { id: 1, type: "string" }, value: { id: 2, type: "string" } } },
    },
  }).lookupType("Model");
  const view = externalDataType.toObject(externalDataType.decode(bytes)) as { graph?: { initializer?: Array<{ name?: string; externalData?: unknown[]; dataLocation?: number }> } };
  const external = view.graph?.initializer?.find((tensor) => (tensor.dataLocation ?? 0) !== 0 || (tensor.externalData?.length ?? 0) > 0);
  if (external) {
    throw new InvalidExportError(`${path.join(modelDir, EXPORT_FILES.model)} keeps the weights of "${external.name}" in another file; exports must be self-contained.`);
  }
}

/** One float32 input `image` [N, H, W, 3] matching preprocess.json, and `probabilities` [N, labels]. */
function checkSignature(model: OnnxModel, labels: string[], preprocess: Preprocess, modelDir: string): void {
  const file = path.join(modelDir, EXPORT_FILES.model);
  const initializers = new Set((model.graph?.initializer ?? []).map((tensor) => tensor.name));
  const inputs = (model.graph?.input ?? []).filter((input) => !initializers.has(input.name));
  const [height, width] = preprocess.size;
  const statistics = preprocess.blendStatistics;
  const contrast = preprocess.faceContrast;
  const image = inputs.length === 1 + (statistics ? 1 : 0) + (contrast ? 1 : 0) && inputs[0].name === ONNX_NAMES.image ? inputs[0] : undefined;
  const imageDims = dims(image?.type?.tensorType?.shape?.dim);
  if (!image || image.type?.tensorType?.elemType !== FLOAT || imageDims.length !== 4 || imageDims[1] !== height || imageDims[2] !== width || imageDims[3] !== 3) {
    throw new InvalidExportError(`${file} does not take one float32 input "${ONNX_NAMES.image}" of [N, ${height}, ${width}, 3] as preprocess.json says (inputs: ${describeValues(inputs)}); the export was refused.`);
  }
  const second = inputs.find((input) => input.name === ONNX_NAMES.blendStatistics);
  if (statistics && (second?.name !== ONNX_NAMES.blendStatistics || dims(second.type?.tensorType?.shape?.dim)[1] !== statistics.count)) {
    throw new InvalidExportError(`${file} does not take the second input "${ONNX_NAMES.blendStatistics}" of [N, ${statistics.count}] that preprocess.json's blendStatistics announces (inputs: ${describeValues(inputs)}); the export was refused.`);
  }
  const regions = inputs.find((input) => input.name === ONNX_NAMES.faceRegions);
  const regionDims = dims(regions?.type?.tensorType?.shape?.dim);
  if (contrast && (!regions || regionDims[1] !== 2 || regionDims[2] !== contrast.grid || regionDims[3] !== contrast.grid)) {
    throw new InvalidExportError(`${file} does not take the input "${ONNX_NAMES.faceRegions}" of [N, 2, ${contrast.grid}, ${contrast.grid}] that preprocess.json's faceContrast announces (inputs: ${describeValues(inputs)}); the export was refused.`);
  }
  const outputs = model.graph?.output ?? [];
  const probabilities = outputs.find((output) => output.name === ONNX_NAMES.probabilities);
  const classes = dims(probabilities?.type?.tensorType?.shape?.dim);
  if (!probabilities || classes.length !== 2) {
    throw new InvalidExportError(`${file} has no "${ONNX_NAMES.probabilities}" output of [N, classes] (outputs: ${describeValues(outputs)}); it is not a classifier export.`);
  }
  if (classes[1] !== labels.length) {
    throw new InvalidExportError(`${path.join(modelDir, EXPORT_FILES.labels)} names ${labels.length} labels but the model outputs ${String(classes[1])} probabilities; the export was refused.`);
  }
}

/** labels.json and preprocess.json must say what the model itself records, or one of them was edited. */
function checkMetadata(metadata: Record<string, string>, labels: string[], preprocess: Preprocess, modelDir: string): void {
  const stored = metadata[EXPORT_METADATA_KEYS.labels];
  if (stored !== undefined && stored !== JSON.stringify(labels)) {
    throw new InvalidExportError(`${path.join(modelDir, EXPORT_FILES.labels)} (${JSON.stringify(labels)}) does not match the labels stored inside model.onnx (${stored}); the export was refused.`);
  }
  const storedPreprocess = metadata[EXPORT_METADATA_KEYS.preprocess];
  if (storedPreprocess !== undefined && canonical(safeParse(storedPreprocess)) !== canonical(preprocess)) {
    throw new InvalidExportError(`${path.join(modelDir, EXPORT_FILES.preprocess)} does not match the preprocessing stored inside model.onnx (${storedPreprocess}); the export was refused.`);
  }
}

/** The decision threshold must name a label and be the one model.onnx records: a hand-edited threshold is refused like edited labels. */
function checkDecision(metadata: Record<string, string>, labels: string[], decision: DecisionThreshold | undefined, modelDir: string): void {
  const file = path.join(modelDir, EXPORT_FILES.preprocess);
  if (decision && !labels.includes(decision.label)) {
    throw new InvalidExportError(`${file} sets a decision threshold for "${decision.label}", which is not one of the labels ${JSON.stringify(labels)}; the export was refused.`);
  }
  const stored = metadata[EXPORT_METADATA_KEYS.decision];
  if ((stored ?? null) === null ? decision !== undefined : canonical(safeParse(stored)) !== canonical(decision ?? null)) {
    throw new InvalidExportError(`The decision threshold in ${file} (${decision ? JSON.stringify(decision) : "none"}) does not match the one stored inside model.onnx (${stored ?? "none"}); the export was refused.`,
      [
        { cliOnly: "Choose the threshold with `deepfake-studio export --threshold <p>` (or --max-fpr) instead of editing preprocess.json; to undo the edit, run " },
        { editorOnly: "Do not edit preprocess.json: run " },
        { step: "export" },
        " again to write it anew.",
      ]);
  }
}

/** Dimension values; symbolic ones (the batch) come back as their name. */
function dims(dimensions: OnnxDimension[] | undefined): Array<number | string> {
  return (dimensions ?? []).map((dim) => (dim.dimParam ? dim.dimParam : typeof dim.dimValue === "object" ? dim.dimValue.toNumber() : Number(dim.dimValue ?? NaN)));
}

/** "image [batch, 224, 224, 3]" for messages. */
function describeValues(values: NonNullable<NonNullable<OnnxModel["graph"]>["input"]>): string {
  return values.map((value) => `${value.name} [${dims(value.type?.tensorType?.shape?.dim).join(", ")}]`).join("; ") || "none";
}

/** JSON.parse that returns undefined for bad JSON (which then fails the comparison). */
function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** JSON with sorted keys, so key order does not matter in comparisons. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === "object" && !Array.isArray(inner) ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => a.localeCompare(b))) : inner);
}
