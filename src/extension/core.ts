/**
 * Loads the core on first use, so activation stays fast: the light part (project, dataset, runs, cleaning) for
 * views, the heavy part (gather, train, export… which pull in sharp, tfjs, onnxruntime) for long commands.
 * `require`, not `import()`: the packaged extension is CommonJS and keeps these two as separate files in dist/.
 */
export type LightCore = typeof import("./core-light");
export type HeavyCore = typeof import("./core-api");

let light: Promise<LightCore> | undefined;
let heavy: Promise<HeavyCore> | undefined;

/** Project file, dataset listing, runs, cleaning, token lookup. */
export function loadCore(): Promise<LightCore> {
  light ??= Promise.resolve().then(() => require("./core-light") as LightCore);
  return light;
}

/** Gather, import, train, export, predict, Space, deploy. */
export function loadHeavyCore(): Promise<HeavyCore> {
  heavy ??= Promise.resolve().then(() => require("./core-api") as HeavyCore);
  return heavy;
}
