/** DuckDuckGo's image search through duck-duck-scrape (search-images.ts holds its token dance and retries). */
import { searchImages } from "../search-images";
import type { ImageSearchEngine } from "./engine";

export const duckduckgo: ImageSearchEngine = {
  name: "duckduckgo",
  search: async (params) => (await searchImages(params)).map((result) => ({ ...result, engine: "duckduckgo" })),
};
