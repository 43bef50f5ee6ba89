/** A small two-category project for the cleaner's tests, and a way to compare its dataset before and after. */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { readManifest } from "../../src/core/dataset/manifest";
import { importFolder } from "../../src/core/gather/import-folder";
import { initProject, loadProjectConfig, parseProjectConfig, type ProjectConfig } from "../../src/core/project/project-config";
import { makePhoto } from "../fixtures/make-images";
import { listTree, makeTempDir, removeDir } from "./temp-dir";

/** Creates the project in `projectDir`: "Real Tom Cruise" with 3 photos, "Deepfake Tom Cruise" with 2, all in the manifest. */
export async function makeCleanProject(projectDir: string): Promise<{ dataDir: string; config: ProjectConfig }> {
  await initProject({ projectDir, config: parseProjectConfig({ categories: [{ label: "Real Tom Cruise" }, { label: "Deepfake Tom Cruise" }] }) });
  const config = await loadProjectConfig(projectDir);
  for (const [label, seeds] of [["Real Tom Cruise", [1, 2, 3]], ["Deepfake Tom Cruise", [4, 5]]] as const) {
    const source = await makeTempDir("dds-src-");
    for (const seed of seeds) await fs.writeFile(path.join(source, `${seed}.jpg`), await makePhoto(seed));
    await importFolder({ projectDir, config, folder: source, label });
    await removeDir(source);
  }
  return { dataDir: path.join(projectDir, "data"), config };
}

/** The files of one label folder, as the cleaner names them (<folder>/<file>). */
export async function imagesOf(dataDir: string, folder: string): Promise<string[]> {
  return (await listTree(path.join(dataDir, folder))).map((file) => `${folder}/${file}`);
}

/** Every file outside the trash with its bytes' length, and the manifest lines, sorted: equal means nothing was lost or changed. */
export async function datasetSnapshot(dataDir: string): Promise<{ files: string[]; manifest: string[] }> {
  const files = (await listTree(dataDir)).filter((file) => !file.startsWith(".trash"));
  return {
    files: await Promise.all(files.map(async (file) => `${file} ${(await fs.stat(path.join(dataDir, file))).size}`)),
    manifest: (await readManifest(dataDir)).map((record) => `${record.label}|${record.file}|${record.sha256}`).sort(),
  };
}

/** A run's predictions.json as the trainer writes it (run-files.ts), with the given losses; returns the files in order. */
export async function writePredictions(projectDir: string, dataDir: string, losses: number[]): Promise<string[]> {
  const files = [...(await imagesOf(dataDir, "Real Tom Cruise")), ...(await imagesOf(dataDir, "Deepfake Tom Cruise"))];
  const predictions = files.map((file, index) => {
    const label = file.split("/")[0];
    const p = Math.exp(-losses[index]);
    const other = label === "Real Tom Cruise" ? "Deepfake Tom Cruise" : "Real Tom Cruise";
    return { file, split: index % 2 === 0 ? "valid" : "train", label, predicted: p >= 0.5 ? label : other, probabilities: { [label]: p, [other]: 1 - p }, loss: losses[index] };
  });
  const runDir = path.join(projectDir, "runs", "20261126-120000-abcd");
  await fs.mkdir(runDir, { recursive: true });
  await fs.writeFile(path.join(runDir, "predictions.json"), JSON.stringify(predictions));
  return files;
}
