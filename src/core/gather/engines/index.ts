/** Every image search engine by name: adding one is a file that fills ImageSearchEngine, plus a line here. */
import { bing } from "./bing";
import { brave } from "./brave";
import { duckduckgo } from "./duckduckgo";
import type { ImageSearchEngine } from "./engine";
import type { EngineName } from "./engine-names";
import { openverse } from "./openverse";
import { wikimedia } from "./wikimedia";

export const ENGINES: Record<EngineName, ImageSearchEngine> = { duckduckgo, bing, wikimedia, openverse, brave };

export * from "./engine";
export * from "./engine-names";
