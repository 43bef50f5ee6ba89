/**
 * The files a check reads: each given file as it is, and every video and image inside each given folder (sorted,
 * recursively, check report folders skipped so annotated frames are not checked as evidence). A missing path or a
 * folder with nothing to check becomes an entry that says so in words; other files found in folders are counted.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { expandInputs } from "../shared/expand-inputs";
import type { MediaCheckError } from "./check-types";

/** File extensions check reads (videos, then images); the VS Code file dialog offers the same. */
export const CHECKABLE_EXTENSIONS = ["mp4", "m4v", "mov", "webm", "mkv", "jpg", "jpeg", "png", "webp"] as const;

/** The files of every report folder check writes (writeCheckReport). */
const REPORT_FILES = ["report.json", "report.md"];

/** What to check, in order, and what was left out. */
export interface CheckInputs {
  /** A file to check, or why a given path gives none. */
  entries: Array<{ file: string } | MediaCheckError>;
  /** Files found in folders that are not videos or images, counted per folder. */
  warnings: string[];
}

/** Expands the given paths; throws only when cancelled. */
export async function listCheckInputs(params: { inputs: readonly string[]; signal?: AbortSignal }): Promise<CheckInputs> {
  const entries: CheckInputs["entries"] = [];
  const warnings: string[] = [];
  for (const input of params.inputs) {
    const stat = await fs.stat(input).catch((error: NodeJS.ErrnoException) => error);
    if (stat instanceof Error) {
      if (stat.code === "ENOENT" || stat.code === "ENOTDIR") entries.push({ file: input, error: "No such file or folder.", code: "media-missing", hint: `Check the path (relative paths start from ${process.cwd()}).` });
      else entries.push({ file: input, error: `It cannot be read (${stat.code ?? stat.message}).`, code: "media-not-a-file", hint: "Check that the file exists and that you may read it." });
      continue;
    }
    if (!stat.isDirectory()) {
      entries.push({ file: input });
      continue;
    }
    const found = await expandInputs({ inputs: [input], signal: params.signal, operation: "check", skipFolder: (names) => REPORT_FILES.every((name) => names.includes(name)) });
    const checkable = found.filter((entry) => isCheckable(entry.file));
    const others = found.length - checkable.length;
    if (checkable.length === 0) {
      entries.push({
        file: input,
        error: `It is a folder with no video or image in it${others > 0 ? ` (its ${others} file(s) are neither)` : ""}.`,
        code: "media-empty-folder",
        hint: `Pass video (MP4, MOV, WebM, MKV) or image (JPEG, PNG, WebP) files, or a folder that holds some; check report folders inside it are skipped.`,
      });
      continue;
    }
    entries.push(...checkable.map((entry) => ({ file: entry.file })));
    if (others > 0) warnings.push(`${input}: ${others} file(s) that are not videos or images (by their extension) were skipped.`);
  }
  return { entries, warnings };
}

function isCheckable(file: string): boolean {
  return (CHECKABLE_EXTENSIONS as readonly string[]).includes(path.extname(file).slice(1).toLowerCase());
}
