/**
 * The cleaner's "where it looked": a run's class activation maps for the pictures it shows, from the run's own
 * backbone and head converted as `export` converts them (the graph's `cam` output), each the predicted label's map on
 * the graph's grid (the webview resizes and draws it with cam/draw-overlay.ts). On the studio's face crops the
 * face's place is known: each map's share inside the face box is measured and a map mostly outside it is flagged.
 */
import { promises as fs } from "node:fs";
import { massShareInside, MOSTLY_ELSEWHERE_SHARE, STUDIO_CROP_FACE_BOX, type UnitBox } from "../cam/map-mass";
import { classMapAt } from "../cam/resize-map";
import { findRun } from "../export/find-run";
import { loadRunBackbone } from "../export/load-run-backbone";
import { readRun, runEngine } from "../export/read-run";
import { createOnnxSession, runOnnx } from "../onnx/onnx-session";
import { resolveDataDir, type ProjectConfig } from "../project/project-config";
import { throwIfAborted } from "../shared/errors";
import type { OperationOptions } from "../shared/progress";
import { decodeTrainingImage } from "../train/decode-training-image";
import { convertRunCamGraph, facesKnown } from "../train/where-it-looked";
import { resolveDatasetFile } from "./resolve-dataset-file";

const BATCH = 16;
/** Map values are sent to the webview as JSON: four significant digits draw the same picture. */
const DIGITS = 4;

export interface RunMapsParams extends OperationOptions {
  projectDir: string;
  config: ProjectConfig;
  runId: string;
  /** Files relative to the data folder (forward slashes) and the label the run predicted for each. */
  pictures: ReadonlyArray<{ file: string; predicted: string }>;
  env?: NodeJS.ProcessEnv;
}

/** One picture's map. */
export interface RunMap {
  file: string;
  /** The predicted label's map, height x width row-major, on the graph's grid. */
  map: number[];
  /** Share of the map's positive mass inside the face box (face crops only). */
  faceShare?: number;
  /** The map lies mostly outside the face (faceShare below MOSTLY_ELSEWHERE_SHARE). */
  elsewhere?: boolean;
}

export type RunMaps =
  | { available: false; runId: string; reason: string }
  | { available: true; runId: string; height: number; width: number; face?: UnitBox; items: RunMap[]; unreadable: string[] };

/** The maps of `pictures`, or why there are none (a run fine-tuned by another engine). */
export async function computeRunMaps(params: RunMapsParams): Promise<RunMaps> {
  const { signal, onProgress } = params;
  const { runId, runDir } = await findRun({ projectDir: params.projectDir, runId: params.runId });
  if ((await runEngine(runDir)) === "torch") {
    return { available: false, runId, reason: "Where it looked is not available for this model: the run fine-tuned a whole network with PyTorch, which has no activation maps in the studio yet." };
  }
  const { head } = await readRun({ runDir });
  const dataDir = resolveDataDir(params.projectDir, params.config);
  const face = facesKnown(head) ? STUDIO_CROP_FACE_BOX : undefined;
  const [height, width] = head.preprocess.size;
  onProgress?.({ event: "phase", phase: "where-it-looked", message: `Drawing where the model looked on ${params.pictures.length} picture(s)` });
  const backbone = await loadRunBackbone({ head, env: params.env, signal });
  const items: RunMap[] = [];
  const unreadable: string[] = [];
  let grid: number[] | undefined;
  try {
    const session = await createOnnxSession(await convertRunCamGraph(head, backbone));
    try {
      for (let start = 0; start < params.pictures.length; start += BATCH) {
        throwIfAborted(signal, "drawing where the model looked");
        const chunk = params.pictures.slice(start, start + BATCH);
        const inputs = await Promise.all(chunk.map(async ({ file }) => {
          try {
            const { absolute } = await resolveDatasetFile(dataDir, file);
            return (await decodeTrainingImage({ bytes: await fs.readFile(absolute), contentSha256: "", preprocess: head.preprocess, views: [0] }))[0];
          } catch {
            // Moved, deleted or damaged since the run: the thumbnail says so itself.
            unreadable.push(file);
            return undefined;
          }
        }));
        const good = chunk.flatMap((picture, i) => (inputs[i] ? [{ picture, input: inputs[i] as Float32Array }] : []));
        if (good.length === 0) continue;
        const batch = new Float32Array(good.length * height * width * 3);
        good.forEach(({ input }, i) => batch.set(input, i * input.length));
        const { cam, camShape } = await runOnnx(session, batch, good.length, height, width, { outputs: ["cam"] });
        if (!cam || !camShape) throw new Error("The run's map graph returned no cam output.");
        grid = camShape;
        const [, classes, h, w] = camShape;
        good.forEach(({ picture }, slot) => {
          const k = Math.max(0, head.labels.indexOf(picture.predicted));
          const at = (slot * classes + k) * h * w;
          const map = Array.from(cam.subarray(at, at + h * w), (value) => Number(value.toPrecision(DIGITS)));
          const share = face ? massShareInside(classMapAt(cam, camShape, slot, k, height, width), height, width, face) : undefined;
          items.push({
            file: picture.file,
            map,
            ...(share !== undefined ? { faceShare: Math.round(share * 1000) / 1000, elsewhere: share < MOSTLY_ELSEWHERE_SHARE } : {}),
          });
        });
        onProgress?.({ event: "progress", phase: "where-it-looked", done: Math.min(start + BATCH, params.pictures.length), total: params.pictures.length });
      }
    } finally {
      await session.release();
    }
  } finally {
    backbone.dispose();
  }
  const [h, w] = grid ? grid.slice(2) : [0, 0];
  return { available: true, runId, height: h, width: w, ...(face ? { face } : {}), items, unreadable };
}

/** What the cleaner's overlay shows, in words (or why there is none). */
export function describeRunMaps(maps: RunMaps): string {
  if (!maps.available) return maps.reason;
  const meaning = "Warm colours mark where the model found its evidence for the label it predicted.";
  const gone = maps.unreadable.length > 0 ? ` ${maps.unreadable.length} picture(s) could not be read and have no map.` : "";
  if (!maps.face) return `${meaning} The face's place in these pictures is not known (the run did not train on the studio's face crops), so no card is marked.${gone}`;
  const elsewhere = maps.items.filter((item) => item.elsewhere).length;
  return `${meaning} ${elsewhere} of ${maps.items.length} picture(s) are marked “looks off the face”: most of their map lies outside the face, so the model may be reading captions, watermarks or framing there.${gone}`;
}
