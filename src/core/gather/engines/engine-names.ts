/** The image search engines gather can ask, by the name `search.engines` and `--engine` use (kept free of imports: the project file's schema reads it). */
export const ENGINE_NAMES = ["duckduckgo", "bing", "wikimedia", "openverse", "brave"] as const;

export type EngineName = (typeof ENGINE_NAMES)[number];

/** Asked in this order when the project file names none: the two big general engines, neither needs a key. */
export const DEFAULT_ENGINES: EngineName[] = ["duckduckgo", "bing"];

/** Engine names as people write them. */
export const ENGINE_TITLES: Record<EngineName, string> = {
  duckduckgo: "DuckDuckGo",
  bing: "Bing",
  wikimedia: "Wikimedia Commons",
  openverse: "Openverse",
  brave: "Brave Search",
};
