/**
 * The Brave Search API's image search (a key from BRAVE_API_KEY or the editor's secret storage, sent in the
 * X-Subscription-Token header only: never in a URL, a message or a file). One request of up to 100 results.
 */
import { engineChanged, parseEngineJson, EngineFailedError, type EngineSearchParams } from "./engine";
import { API_HEADERS } from "./browser-headers";
import { httpEngine, type EnginePage } from "./http-engine";

const BRAVE_IMAGES = "https://api.search.brave.com/res/v1/images/search";
const COUNT = 100;

interface BraveImage {
  title?: unknown;
  url?: unknown;
  properties?: { url?: unknown };
}

export const brave = httpEngine({
  name: "brave",
  maxPages: 1,
  url: (query) => `${BRAVE_IMAGES}?${new URLSearchParams({ q: query, count: String(COUNT) })}`,
  headers: (params) => ({ ...API_HEADERS, "x-subscription-token": braveKey(params) ?? "" }),
  check: (params) => {
    if (!braveKey(params)) {
      throw new EngineFailedError("brave", "key-missing", "Brave Search needs an API key, and none is set.", "Set BRAVE_API_KEY (a free key: https://api-dashboard.search.brave.com), then run gather again; other engines are used meanwhile.");
    }
  },
  parse: parseBraveAnswer,
});

function braveKey(params: EngineSearchParams): string | undefined {
  return params.braveApiKey?.trim() || (params.env ?? process.env).BRAVE_API_KEY?.trim() || undefined;
}

/** Reads one Brave image search answer. */
export function parseBraveAnswer(body: string): EnginePage {
  const answer = parseEngineJson<{ results?: BraveImage[] }>("brave", body);
  if (!Array.isArray(answer.results)) throw engineChanged("brave", "no results list in the answer");
  const results = answer.results.flatMap((image) => {
    const imageUrl = image.properties?.url;
    if (typeof imageUrl !== "string" || !imageUrl) return [];
    return [{ imageUrl, pageUrl: typeof image.url === "string" ? image.url : undefined, title: typeof image.title === "string" ? image.title : undefined }];
  });
  if (answer.results.length > 0 && results.length === 0) throw engineChanged("brave", "no properties.url in any result");
  return { results, count: answer.results.length, last: true };
}
