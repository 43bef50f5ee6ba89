/** `deepfake-studio backbone`: gets the feature backbone into the cache and shows what it is. */
import type { Command } from "commander";
import { cacheDir } from "../../core/backbone/cache-dir";
import { featureLength } from "../../core/backbone/extract-features-tfjs";
import { OFFLINE_BACKBONE_ID } from "../../core/backbone/known-backbones";
import { loadBackbone, type LoadedBackbone } from "../../core/backbone/load-backbone";
import { resolveBackbone } from "../../core/backbone/resolve-backbone";
import { writeOfflineBackbone } from "../../core/backbone/write-offline-backbone";
import { StudioError } from "../../core/shared/errors";
import { cliContext } from "../cli-context";
import { printProgress } from "../output";

/** Options of the sub-command. */
interface BackboneOptions {
  offline?: boolean;
  backbone?: string;
}

/** Adds `backbone [--offline] [--backbone <id|path|url>]`; the model.json path is always the last stdout line. */
export function registerBackboneCommand(program: Command): void {
  program
    .command("backbone")
    .description("download (once) and check the pretrained feature backbone; --offline writes out the bundled nsfwjs MobileNetV2 instead")
    .option("--offline", `write the ${OFFLINE_BACKBONE_ID} backbone (no network) into the cache and print its model.json path`)
    .option("--backbone <id|path|url>", "backbone id, tfjs model.json path/folder, or http(s) URL (default: $DEEPFAKE_STUDIO_BACKBONE or mobilenet_v2_1.00_224)")
    .action(async (options: BackboneOptions) => {
      if (options.offline && options.backbone) {
        throw new StudioError("--offline and --backbone cannot be combined.", "usage", `--offline always writes ${OFFLINE_BACKBONE_ID}; use --backbone alone for any other one.`);
      }
      const lines = options.offline ? await writeOffline() : await describe(options.backbone);
      process.stdout.write(`${lines.join("\n")}\n`);
    });
}

/** --offline: write the bundled model out (no tfjs needed) and return the lines to print. */
async function writeOffline(): Promise<string[]> {
  const modelJsonPath = await writeOfflineBackbone({ cacheDir: cacheDir() });
  return [`${OFFLINE_BACKBONE_ID} is ready; use it with --backbone ${OFFLINE_BACKBONE_ID} (or the path below).`, modelJsonPath];
}

/** Resolves, downloads if needed and loads the backbone, then summarises it. */
async function describe(requested: string | undefined): Promise<string[]> {
  const spec = resolveBackbone({ backbone: requested });
  const backbone = await loadBackbone({ spec, signal: cliContext.signal, onProgress: printProgress() });
  try {
    return summary(backbone);
  } finally {
    backbone.dispose();
  }
}

/** The short human summary; the model.json path goes last so scripts can `tail -n 1`. */
function summary(backbone: LoadedBackbone): string[] {
  const { spec, source, featureModel, tapOutputs } = backbone;
  const taps = spec.taps.map((tap, index) => `${tap.layer} ${JSON.stringify(featureModel.outputs[tapOutputs[index]].shape.slice(1))} ${tap.pooling.join("+")}`);
  return [
    `backbone:       ${spec.id}${spec.known ? "" : " (not in the table; see warnings)"}`,
    `description:    ${spec.description}`,
    `source:         ${source.location}`,
    `input:          ${spec.inputSize}x${spec.inputSize} RGB, x * ${formatNumber(spec.scaling.scale)} + ${formatNumber(spec.scaling.offset)}`,
    `taps:           ${taps.join(", ")}`,
    `feature length: ${featureLength(backbone)}`,
    `sha256:         ${source.modelJsonSha256} (model.json)`,
    source.modelJsonPath,
  ];
}

/** Short rendering of scaling constants (1/127.5 → 0.00784314). */
function formatNumber(value: number): string {
  return Number(value.toPrecision(6)).toString();
}
