/** `deepfake-studio demo`: the whole lesson offline on the embedded default, printing what each step produced. */
import type { Command } from "commander";
import * as path from "node:path";
import { describeAudit } from "../../core/audit/describe-audit";
import { runDemo } from "../../core/demo/run-demo";
import { describeSameIdentityCheck } from "../../core/synthesize/blend-sensitivity";
import { cliContext } from "../cli-context";
import { formatTable, printProgress } from "../output";
import { formatEpoch } from "./train";

export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description("run the whole lesson offline: face photos from an npm package → dataset → train → export → predict → Space")
    .option("-o, --out <dir>", "demo project folder", "demo-project")
    .option("-n, --per-class <count>", "images per class in the dataset", (value) => Number(value), 150)
    .option("-e, --epochs <count>", "training epochs", (value) => Number(value))
    .action(async (options: { out: string; perClass: number; epochs?: number }) => {
      const projectDir = path.resolve(options.out);
      const started = Date.now();
      let tableHeaderShown = false;
      const result = await runDemo({
        projectDir,
        perClass: options.perClass,
        epochs: options.epochs,
        signal: cliContext.signal,
        onProgress: printProgress(),
        onEpoch: (record) => {
          if (!tableHeaderShown) process.stdout.write(`${["epoch", "train_loss", "valid_loss", "error_rate", "time"].map((column) => column.padEnd(12)).join("").trimEnd()}\n`);
          tableHeaderShown = true;
          process.stdout.write(`${formatEpoch(record)}\n`);
        },
      });
      const rel = (file: string) => path.relative(process.cwd(), file) || file;
      const out = (text: string) => process.stdout.write(`${text}\n`);
      out(`\nDataset: ${Object.entries(result.counts).map(([label, count]) => `${count} ${label}`).join(", ")} in ${rel(path.join(projectDir, "data"))} (provenance: data/manifest.jsonl)`);
      out(`Run: ${rel(result.train.runDir)} — error_rate ${result.train.metrics.errorRate.toFixed(4)} (metrics.json, predictions.json)`);
      out(`Model: ${rel(path.join(result.exported.outDir, "model.onnx"))} (+ labels.json, preprocess.json, README.md model card)`);
      out(`Same-person check: ${describeSameIdentityCheck(result.train.metrics).join("\n")}`);
      if (result.train.metrics.audit) out(describeAudit(result.train.metrics.audit).join("\n"));
      out("\nPredictions on held-out images the model never saw: real face crops, and same-person fakes of the same faces (the");
      out("person's own face blended with an altered copy of itself, or swapped with its mirror image), so who is pictured gives nothing away:");
      out(formatTable(["file", "what it is", "expected", "predicted", "confidence"], result.predictions.map((p) => [p.file, p.what, p.expected, p.label ?? `error: ${p.error}`, p.probability === undefined ? "" : `${(p.probability * 100).toFixed(1)}%`])));
      const right = result.predictions.filter((p) => p.label === p.expected).length;
      out(`Right on ${right} of ${result.predictions.length} held-out pictures (a handful: BENCHMARKS.md measures many more).`);
      out(`\nSpace: ${rel(result.space.spaceDir)} — a static page that runs the model in the browser; try it locally with`);
      out(`  python3 -m http.server -d ${JSON.stringify(rel(result.space.spaceDir))} 8000   and open http://localhost:8000`);
      out(`Next, deploy it for free to Hugging Face (needs HF_TOKEN with write access):\n  ${result.deployCommand}`);
      out(`\nDemo finished in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    });
}
