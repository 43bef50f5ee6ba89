/**
 * Reading an evaluation back for an evaluation panel restored after a window reload. The path comes from webview
 * state, so nothing is trusted: the file must be named evaluation.json, sit inside an open workspace folder (symlinks
 * resolved), say it was written to that very place, parse, and hold every field the panel draws.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { Evaluation } from "../core/evaluate/evaluation-types";
import { isEvaluationView, type EvaluationPanelState } from "../shared/evaluation-protocol";
import { evaluationViewOf } from "./webviews/evaluation-view";

/** core write-evaluation-report's EVALUATION_JSON. */
const EVALUATION_JSON = "evaluation.json";
/** core read-evaluation's bound: a bigger file is not an evaluation. */
const MAX_EVALUATION_BYTES = 256 * 1024 * 1024;

/** A saved evaluation read back, or why it cannot be shown. */
export type SavedEvaluation = { evaluation: Evaluation } | { reason: string };

/** Reads `state.json` when it is an evaluation written there, inside one of `roots` (the workspace folders). */
export async function readSavedEvaluation(params: { state: EvaluationPanelState; roots: readonly string[] }): Promise<SavedEvaluation> {
  const { state } = params;
  const notOurs = { reason: "Its saved evaluation is not one of Deepfake Studio's evaluation folders in this workspace, so it was not opened." };
  if (!path.isAbsolute(state.json) || path.basename(state.json) !== EVALUATION_JSON) return notOurs;
  const file = await fs.realpath(state.json).catch(() => undefined);
  if (!file) return { reason: `${state.json} is gone (the evaluation folder was deleted or moved).` };
  const roots = (await Promise.all(params.roots.map((root) => fs.realpath(root).catch(() => undefined)))).filter((root): root is string => root !== undefined);
  if (!roots.some((root) => isInside(file, root))) return notOurs;
  let evaluation: unknown;
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile() || stat.size > MAX_EVALUATION_BYTES) return notOurs;
    evaluation = JSON.parse(await fs.readFile(file, "utf8"));
  } catch (error) {
    return { reason: `${state.json} could not be read (${error instanceof Error ? error.message : String(error)}).` };
  }
  return isEvaluationAt(evaluation, state.json) ? { evaluation } : { reason: `${state.json} is damaged or from another version of Deepfake Studio.` };
}

function isInside(file: string, root: string): boolean {
  const relative = path.relative(root, file);
  return relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative);
}

/** True when `value` is an evaluation written to `json`'s folder, with everything the panel reads. */
function isEvaluationAt(value: unknown, json: string): value is Evaluation {
  if (typeof value !== "object" || value === null) return false;
  const files = (value as Partial<Evaluation>).files;
  const dir = path.dirname(json);
  // The panel's buttons open report.md: only the one beside this evaluation.json.
  if (typeof files !== "object" || files === null || files.json !== json || files.dir !== dir || typeof files.markdown !== "string" || path.dirname(files.markdown) !== dir) return false;
  try {
    return isEvaluationView(evaluationViewOf(value as Evaluation));
  } catch {
    // A missing nested field (counts, calibration, roc…) throws while the view is built.
    return false;
  }
}
