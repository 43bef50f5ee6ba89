/**
 * Reads an evaluation folder back (export --max-fpr picks its threshold from one): evaluation.json is untrusted input,
 * so only the fields needed are validated and used. `findLatestEvaluation` looks in the project's evaluation/ folder.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { describeSchemaIssue } from "../export/export-format";
import { StudioError } from "../shared/errors";
import { EVALUATION_FORMAT } from "./evaluation-types";
import { EVALUATION_JSON } from "./write-evaluation-report";

/** The default parent of evaluation folders, inside the project. */
export const EVALUATION_FOLDER_NAME = "evaluation";

const MAX_JSON_BYTES = 256 * 1024 * 1024;

const storedEvaluationSchema = z.object({
  format: z.literal(EVALUATION_FORMAT),
  createdAt: z.string().min(1).max(100),
  model: z.object({ labels: z.array(z.string()).min(2), runId: z.string().optional() }),
  fakeLabel: z.object({ label: z.string().min(1) }),
  pictures: z.array(z.object({ probability: z.number().min(0).max(1), fake: z.boolean() })),
});

/** What export needs from an evaluation. */
export type StoredEvaluation = z.infer<typeof storedEvaluationSchema> & { dir: string };

/** Reads `<dir>/evaluation.json`; throws StudioError saying what is wrong. */
export async function readEvaluation(params: { dir: string }): Promise<StoredEvaluation> {
  const dir = path.resolve(params.dir);
  const file = path.join(dir, EVALUATION_JSON);
  const stat = await fs.stat(file).catch(() => undefined);
  if (!stat?.isFile()) throw new StudioError(`${dir} holds no ${EVALUATION_JSON}, so it is not an evaluation folder.`, "evaluation-missing", "Run `deepfake-studio evaluate <folder>` first.");
  if (stat.size > MAX_JSON_BYTES) throw new StudioError(`${file} is ${stat.size} bytes, too large to be an evaluation.`, "evaluation-invalid");
  let raw: unknown;
  try {
    raw = JSON.parse(await fs.readFile(file, "utf8"));
  } catch (error) {
    throw new StudioError(`${file} is not valid JSON (${(error as Error).message}).`, "evaluation-invalid", "Run `deepfake-studio evaluate` again.");
  }
  const parsed = storedEvaluationSchema.safeParse(raw);
  if (!parsed.success) throw new StudioError(`${file} is not an evaluation this version reads: ${describeSchemaIssue(parsed.error)}.`, "evaluation-invalid", "Run `deepfake-studio evaluate` again.");
  return { ...parsed.data, dir };
}

/** The evaluation in `<projectDir>/evaluation/*` that ran last (by its createdAt); throws when there is none. */
export async function findLatestEvaluation(params: { projectDir: string }): Promise<StoredEvaluation> {
  const root = path.join(path.resolve(params.projectDir), EVALUATION_FOLDER_NAME);
  const names = await fs.readdir(root, { withFileTypes: true }).then((entries) => entries.filter((entry) => entry.isDirectory() && !entry.name.startsWith(".")).map((entry) => entry.name), () => []);
  const found: StoredEvaluation[] = [];
  for (const name of names) {
    const evaluation = await readEvaluation({ dir: path.join(root, name) }).catch(() => undefined);
    if (evaluation) found.push(evaluation);
  }
  if (found.length === 0) throw new StudioError(`There is no evaluation in ${root} yet.`, "evaluation-missing", "Run `deepfake-studio evaluate <folder of held-out pictures>` first, or pass --threshold <p>.");
  return found.sort((a, b) => a.createdAt.localeCompare(b.createdAt))[found.length - 1];
}
