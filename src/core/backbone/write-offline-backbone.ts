/**
 * Writes the MobileNetV2 that the nsfwjs npm package bundles out as a standard tfjs LayersModel folder, so the
 * studio works with no network and loads it through the same loader as a downloaded backbone.
 */
import { createHash, randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { describeFsError, StudioError } from "../shared/errors";
import { OFFLINE_BACKBONE_ID } from "./known-backbones";
import { STUDIO_METADATA_KEY, type StudioModelMetadata } from "./resolve-backbone";

/** Name of the single weight file we write (nsfwjs ships one shard). */
const WEIGHTS_FILE = "weights.bin";

/** The parts of nsfwjs' bundled model.json we use. */
interface NsfwjsModelJson {
  modelTopology: unknown;
  weightsManifest: Array<{ paths: string[]; weights: unknown[] }>;
}

/**
 * Writes `<cacheDir>/backbones/nsfwjs-mobilenet_v2/{model.json,weights.bin,integrity.json}` unless an intact copy
 * is already there (idempotent); each file is written to a temp name and renamed, so a crash leaves no half file.
 * Returns the model.json path.
 */
export async function writeOfflineBackbone(params: { cacheDir: string }): Promise<string> {
  const folder = path.join(params.cacheDir, "backbones", OFFLINE_BACKBONE_ID);
  const modelJsonPath = path.join(folder, "model.json");
  if (await isIntact(folder)) return modelJsonPath;

  const { modelJson, weights, version } = loadFromNsfwjs();
  const metadata: StudioModelMetadata = { backboneId: OFFLINE_BACKBONE_ID };
  const written = {
    format: "layers-model",
    generatedBy: `nsfwjs ${version} (keras ${readKerasVersion(modelJson.modelTopology)})`,
    convertedBy: "deepfake-studio write-offline-backbone",
    modelTopology: modelJson.modelTopology,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: modelJson.weightsManifest.flatMap((group) => group.weights) }],
    userDefinedMetadata: { [STUDIO_METADATA_KEY]: metadata },
  };
  const modelJsonBytes = Buffer.from(JSON.stringify(written));

  try {
    await fs.mkdir(folder, { recursive: true });
    // Weights first, model.json next, the integrity record last: a folder without a matching record is rewritten.
    await writeAtomic(path.join(folder, WEIGHTS_FILE), weights);
    await writeAtomic(modelJsonPath, modelJsonBytes);
    const record = { source: `npm:nsfwjs@${version}/dist/models/mobilenet_v2`, files: { [WEIGHTS_FILE]: sha256(weights), "model.json": sha256(modelJsonBytes) }, createdAt: new Date().toISOString() };
    await writeAtomic(path.join(folder, "integrity.json"), Buffer.from(`${JSON.stringify(record, null, 2)}\n`));
  } catch (error) {
    throw describeFsError(error, folder);
  }
  return modelJsonPath;
}

/** True when integrity.json exists and every file it lists still has its recorded sha256. */
async function isIntact(folder: string): Promise<boolean> {
  try {
    const record = JSON.parse(await fs.readFile(path.join(folder, "integrity.json"), "utf8")) as { files?: Record<string, string> };
    const files = Object.entries(record.files ?? {});
    if (!files.some(([name]) => name === "model.json")) return false;
    for (const [name, expected] of files) {
      if (sha256(await fs.readFile(path.join(folder, name))) !== expected) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * Decodes nsfwjs' JS-wrapped model the way nsfwjs does (core.js getModelJson/JSONHandler): model.min.js is a UMD
 * bundle exporting the model.json object, group1-shard1of1.min.js one exporting the shard as a base64 string.
 */
function loadFromNsfwjs(): { modelJson: NsfwjsModelJson; weights: Buffer; version: string } {
  let entry: string;
  try {
    entry = require.resolve("nsfwjs");
  } catch {
    throw new StudioError("The offline backbone needs the nsfwjs npm package, which is not installed.", "backbone-unavailable", ["Install it (npm install nsfwjs) or use a downloaded backbone", { cliOnly: " with --backbone <id|path|url>" }, { editorOnly: " (train.backbone in deepfake-studio.json)" }, "."]);
  }
  // Its package "exports" hide dist/models, so go through the resolved entry point (dist/cjs/index.js).
  const packageRoot = path.resolve(path.dirname(entry), "..", "..");
  const modelsFolder = path.join(packageRoot, "dist", "models", "mobilenet_v2");
  const modelJson = requireFresh(path.join(modelsFolder, "model.min.js")) as NsfwjsModelJson;
  if (!modelJson?.modelTopology || !Array.isArray(modelJson.weightsManifest)) {
    throw new StudioError(`Unexpected nsfwjs model bundle in ${modelsFolder}.`, "backbone-invalid", ["This nsfwjs version packs its model differently; pin nsfwjs 4.x or use a downloaded backbone", { cliOnly: " with --backbone <id|path|url>" }, { editorOnly: " (train.backbone in deepfake-studio.json)" }, "."]);
  }
  const shards = modelJson.weightsManifest.flatMap((group) => group.paths);
  const weights = Buffer.concat(shards.map((shard) => Buffer.from(String(requireFresh(path.join(modelsFolder, `${shard}.min.js`))), "base64")));
  const version = (requireFresh(path.join(packageRoot, "package.json")) as { version: string }).version;
  return { modelJson, weights, version };
}

/** Requires a file and drops it from the require cache (the weights string is 3.5 MB we need only once). */
function requireFresh(file: string): unknown {
  try {
    const loaded = require(file) as unknown;
    return (loaded as { default?: unknown } | undefined)?.default ?? loaded;
  } catch (error) {
    throw new StudioError(`Cannot read ${file}: ${(error as Error).message}`, "backbone-invalid", ["Reinstall nsfwjs (npm install nsfwjs) or use a downloaded backbone", { cliOnly: " with --backbone <id|path|url>" }, { editorOnly: " (train.backbone in deepfake-studio.json)" }, "."]);
  } finally {
    delete require.cache[require.resolve(file)];
  }
}

/** Keras version recorded in the topology, for the generatedBy note. */
function readKerasVersion(topology: unknown): string {
  return String((topology as { keras_version?: unknown } | undefined)?.keras_version ?? "unknown");
}

/** Writes to a temp name in the same folder, then renames over the target (atomic on one file system). */
async function writeAtomic(target: string, data: Uint8Array): Promise<void> {
  const temp = `${target}.${randomBytes(6).toString("hex")}.part`;
  try {
    await fs.writeFile(temp, data);
    await fs.rename(temp, target);
  } finally {
    await fs.rm(temp, { force: true });
  }
}

/** Hex sha256 of some bytes. */
function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
