/** Where the reference face photos come from: photos that ship inside installed npm packages, never committed here. */
import * as fs from "node:fs";
import * as path from "node:path";

/** One photo on disk and a provenance string naming its package, version and file. */
export interface FacePhotoSource {
  /** e.g. "@vladmandic/face-api@1.7.15/demo/sample1.jpg" */
  source: string;
  path: string;
}

// Searched with `find node_modules -iname '*.jpg' -o -iname '*.png' -size +5k`: only face-api's demo photos qualify.
// Its demo/screenshot-*.png also show faces but with boxes and landmark dots drawn on them, which would be a cue.
const CANDIDATES: ReadonlyArray<{ packageName: string; files: readonly string[] }> = [
  { packageName: "@vladmandic/face-api", files: ["sample1.jpg", "sample2.jpg", "sample3.jpg", "sample4.jpg", "sample5.jpg", "sample6.jpg"].map((f) => `demo/${f}`) },
];

/** Lists the candidate photos that are actually installed, in a fixed order. */
export function listFacePhotoSources(): FacePhotoSource[] {
  const found: FacePhotoSource[] = [];
  for (const { packageName, files } of CANDIDATES) {
    const root = packageRoot(packageName);
    if (root === undefined) continue;
    const version = (JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version?: string }).version ?? "unknown";
    for (const file of files) {
      const full = path.join(root, file);
      if (fs.existsSync(full)) found.push({ source: `${packageName}@${version}/${file}`, path: full });
    }
  }
  return found;
}

/** The installed folder of a package, or undefined when it is not installed. */
function packageRoot(packageName: string): string | undefined {
  try {
    return path.dirname(require.resolve(`${packageName}/package.json`));
  } catch {
    return undefined;
  }
}
