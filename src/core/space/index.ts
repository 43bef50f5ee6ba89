/** Scaffolding a Hugging Face Space (static or Gradio) from an export folder. */
export { commitSpaceFolder, LFS_PATTERNS } from "./commit-space-folder";
export type { CommitSpaceResult } from "./commit-space-folder";
export { createSpace } from "./create-space";
export type { CreateSpaceParams, CreateSpaceResult } from "./create-space";
export { listSpaceFiles } from "./list-space-files";
export { ORT_FILE_NAMES, ortRuntimeFiles } from "./ort-runtime-files";
export { parseFrontMatter } from "./parse-front-matter";
export type { FrontMatter, FrontMatterValue } from "./parse-front-matter";
export { pickExamples } from "./pick-examples";
export { planSpaceDeploy, type PlanSpaceDeployParams, type SpaceDeployPlan } from "./plan-space-deploy";
export { readSpaceManifest, SPACE_MANIFEST } from "./read-space-manifest";
export type { SpaceManifest } from "./read-space-manifest";
export { previewSpaceExamples, type PreviewSpaceExamplesParams } from "./preview-space-examples";
export { renderSpaceReadme } from "./render-space-readme";
export { SpaceError } from "./space-error";
export { parseSpaceSdk, SPACE_SDKS } from "./space-sdk";
export type { SpaceSdk } from "./space-sdk";
