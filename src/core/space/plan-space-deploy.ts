/**
 * What deploy must do to the Space folder before uploading it: nothing, or write it first (it is missing, an
 * interrupted run left it unfinished, or it is a Space of another kind than the one asked for). The CLI's `deploy`
 * and VS Code's Deploy both follow it, so neither fails on a folder the studio can complete itself.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { parseFrontMatter } from "./parse-front-matter";
import { readSpaceManifest } from "./read-space-manifest";
import { parseSpaceSdk, type SpaceSdk } from "./space-sdk";

/** The plan: the kind of Space to deploy, and why the folder must be (re)written first, if it must. */
export interface SpaceDeployPlan {
  sdk: SpaceSdk;
  /** Undefined when the folder is ready to upload. */
  rewrite?: "missing" | "unfinished" | "other-sdk";
  /** The rewrite in words, for the log or stderr. */
  reason?: string;
}

/** Parameters of planSpaceDeploy. */
export interface PlanSpaceDeployParams {
  spaceDir: string;
  /** The kind asked for explicitly (`--sdk`); else the folder's own, else `defaultSdk`. */
  sdk?: SpaceSdk;
  /** The kind of a folder that does not say (default static, the free one). */
  defaultSdk?: SpaceSdk;
}

/** Reads the folder's README and space.json and says what deploy must write first. */
export async function planSpaceDeploy(params: PlanSpaceDeployParams): Promise<SpaceDeployPlan> {
  const existing = await folderSdk(params.spaceDir);
  const manifest = await readSpaceManifest(params.spaceDir);
  const sdk = params.sdk ?? existing ?? manifest?.sdk ?? params.defaultSdk ?? "static";
  if (manifest?.unfinished) return { sdk, rewrite: "unfinished", reason: "The Space folder was not finished (the run that wrote it was interrupted); writing it again." };
  if (!existing) return { sdk, rewrite: "missing", reason: `There is no Space folder at ${params.spaceDir} yet; writing it.` };
  if (existing !== sdk) return { sdk, rewrite: "other-sdk", reason: `The Space folder is a ${existing} Space; rewriting it as a ${sdk} Space.` };
  return { sdk };
}

/** The sdk a Space folder was written for, from its README's configuration block. */
async function folderSdk(spaceDir: string): Promise<SpaceSdk | undefined> {
  try {
    const sdk = parseFrontMatter(await fs.readFile(path.join(spaceDir, "README.md"), "utf8")).data?.sdk;
    return typeof sdk === "string" ? parseSpaceSdk(sdk) : undefined;
  } catch {
    return undefined;
  }
}
