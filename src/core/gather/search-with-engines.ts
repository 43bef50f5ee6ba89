/**
 * Asks the project's engines in order until `maxImages` distinct pictures are found. An engine that fails (rate limit
 * after back-off, a block page, a changed page, server errors, a host it cannot reach) is named in one line and the
 * next is asked; only what no engine can get past — no network, a proxy that cannot be reached or wants a
 * password, a certificate that is not trusted (a firm proxy inspecting HTTPS) — stops the search at once.
 */
import { StudioError } from "../shared/errors";
import { ENGINES, ENGINE_TITLES, EngineFailedError, SearchUnreachableError, type EngineName, type EngineSearchParams, type ImageSearchResult } from "./engines";

export interface SearchWithEnginesParams extends EngineSearchParams {
  /** In the order they are asked. */
  engines: readonly EngineName[];
}

/** Network problems that fail every engine alike: trying the next one would only repeat them. */
const SHARED_PROBLEMS: ReadonlySet<string> = new Set(["offline", "proxy-unreachable", "proxy-auth", "tls"]);

/** Searches with each engine in turn; the results carry the engine that found them. */
export async function searchWithEngines(params: SearchWithEnginesParams): Promise<ImageSearchResult[]> {
  const found = new Map<string, ImageSearchResult>();
  const failures: StudioError[] = [];
  for (const name of params.engines) {
    if (found.size >= params.maxImages) break;
    try {
      const results = await ENGINES[name].search({ ...params, maxImages: params.maxImages - found.size });
      for (const result of results) if (!found.has(result.imageUrl) && found.size < params.maxImages) found.set(result.imageUrl, result);
    } catch (error) {
      if (!isEngineFailure(error)) throw error;
      failures.push(error);
      // When every engine has failed the error below says it all; otherwise one line, and on to the next.
      if (failures.length < params.engines.length) params.onProgress?.({ event: "warning", message: `${error.message.replace(/\.$/, "")}; other engines used.` });
    }
  }
  if (found.size === 0 && failures.length === params.engines.length) throw allFailed(params, failures);
  return [...found.values()];
}

function isEngineFailure(error: unknown): error is EngineFailedError | SearchUnreachableError {
  return error instanceof EngineFailedError || (error instanceof SearchUnreachableError && !SHARED_PROBLEMS.has(error.kind));
}

/** One engine: its own error as it is. Several: each in a sentence, and what to do. */
function allFailed(params: SearchWithEnginesParams, failures: StudioError[]): StudioError {
  if (failures.length === 1) return failures[0];
  const names = params.engines.map((name) => ENGINE_TITLES[name]).join(", ");
  return new StudioError(
    `No search engine answered the search "${params.query}" (${names}): ${failures.map((failure) => failure.message).join(" ")}`,
    "search-failed",
    [`Wait a few minutes, or add other engines to search.engines in deepfake-studio.json (${Object.keys(ENGINES).map((name) => `"${name}"`).join(", ")}), then run `, { step: "gather" }, " again: images already downloaded are kept. To work offline, use ", { step: "import" }, "."],
  );
}
