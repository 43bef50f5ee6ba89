/** `deepfake-studio synthesize`: write the same-person fakes training makes from the real pictures, for inspection. */
import { InvalidArgumentError, type Command } from "commander";
import * as path from "node:path";
import { writeSynthesizedFakes } from "../../core/synthesize/write-synthesized";
import { cliContext } from "../cli-context";
import { printProgress } from "../output";
import { loadProjectOf } from "./context";

export function registerSynthesizeCommand(program: Command): void {
  program
    .command("synthesize")
    .description("write the same-person fakes (self-blends, swaps between two real pictures) that train.selfBlend trains on, with provenance.jsonl")
    .option("-o, --out <dir>", "output folder (new, empty, or an earlier output of this command)", "synthesized")
    .option("-n, --per-image <count>", "self-blends per real picture (default train.selfBlendPerImage)", parsePerImage)
    .option("--json", "print the result as JSON")
    .action(async (options: { out: string; perImage?: number; json?: boolean }, command: Command) => {
      const { projectDir, config } = await loadProjectOf(command);
      const result = await writeSynthesizedFakes({ projectDir, config, outDir: path.resolve(options.out), perImage: options.perImage, signal: cliContext.signal, onProgress: options.json ? undefined : printProgress() });
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ outDir: result.outDir, provenance: result.provenance, written: result.written, skipped: result.skipped }, null, 2)}\n`);
        return;
      }
      const rel = (file: string) => path.relative(process.cwd(), file) || file;
      process.stdout.write(`Wrote ${result.written} same-person fake(s) to ${rel(result.outDir)} (provenance: ${rel(result.provenance)})\n`);
      for (const entry of result.skipped) process.stdout.write(`Skipped ${entry.file}: ${entry.reason}\n`);
    });
}

function parsePerImage(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 16) throw new InvalidArgumentError(`expected a whole number from 1 to 16, got "${value}"`);
  return parsed;
}
