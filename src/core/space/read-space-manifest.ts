/**
 * space.json: what the page or app reads (title, examples), and the studio's mark on a Space folder: which files it
 * wrote, and whether the run that wrote them finished. `space` writes it first, marked unfinished, before any other
 * file, and again at the end without the mark; so an interrupted run leaves a folder the next one resumes, and
 * `deploy` never uploads a half-written one.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { describeFsError } from "../shared/errors";
import type { SpaceSdk } from "./space-sdk";

export interface SpaceManifest {
  generator: "deepfake-studio";
  format: 1;
  sdk: SpaceSdk;
  title: string;
  description: string;
  article?: string;
  examples: string[];
  /** The model was trained on face crops: the static page crops the largest face itself (face-crop.js). */
  faceCrop?: boolean;
  runId?: string;
  validErrorRate?: number;
  validImages?: number;
  /** Share of self-blends of held-out real faces the model flagged, how many were scored (metrics.json sameIdentityBlends), and, when every fake it trained on was synthesized (train.selfBlend "only"), the caution the page shows (synthesizedOnlySpaceNote). */
  sameIdentityBlends?: { share: number; scored: number; synthesizedOnly?: string };
  files: string[];
  /** Set while `space` writes the folder (files: every file the folder may hold from this run or the one before). */
  unfinished?: true;
}

export const SPACE_MANIFEST = "space.json";

/** The folder's space.json if the studio wrote it; undefined when it is missing, unreadable JSON or someone else's. */
export async function readSpaceManifest(spaceDir: string): Promise<SpaceManifest | undefined> {
  const file = path.join(spaceDir, SPACE_MANIFEST);
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw describeFsError(error, file);
  }
  try {
    const parsed = JSON.parse(text) as Partial<SpaceManifest>;
    if (parsed.generator === "deepfake-studio" && Array.isArray(parsed.files)) return parsed as SpaceManifest;
  } catch {
    // not ours
  }
  return undefined;
}
