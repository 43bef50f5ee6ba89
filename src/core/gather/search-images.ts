/** Image search on DuckDuckGo through duck-duck-scrape, paged, polite, and patient with rate limits. */
import { searchImages as ddgSearchImages, SafeSearchType } from "duck-duck-scrape";
import { StudioError, throwIfAborted } from "../shared/errors";
import type { OperationOptions } from "../shared/progress";
import { sleep } from "../shared/sleep";

export interface ImageSearchResult {
  imageUrl: string;
  pageUrl?: string;
  title?: string;
}

export interface SearchImagesParams extends OperationOptions {
  query: string;
  /** Stop once this many unique image URLs are found. */
  maxImages: number;
  /** Retries after a rate-limit answer (403/418, anomaly page, VQD failure, empty body). */
  retries?: number;
  /** First back-off delay in ms; doubles after every rate-limit answer. */
  backoffMs?: number;
}

/** DuckDuckGo refused to answer (rate limit or bot check) even after the retries. */
export class SearchRateLimitedError extends StudioError {
  constructor(query: string, attempts: number, lastProblem: string) {
    super(
      `DuckDuckGo did not answer the search "${query}" after ${attempts} attempts (${lastProblem}). It is rate-limiting this machine.`,
      "search-rate-limited",
      ["Wait a few minutes and run ", { step: "gather" }, " again: images already downloaded are kept and known URLs are skipped."],
    );
  }
}

/** DuckDuckGo could not be reached at all (no network, DNS, proxy). */
export class SearchUnreachableError extends StudioError {
  constructor(query: string, code: string) {
    super(
      `Could not reach DuckDuckGo to search "${query}" (${code}).`,
      "search-unreachable",
      "Check the internet connection; behind a firm proxy set HTTPS_PROXY (and NO_PROXY for local hosts).",
    );
  }
}

const MAX_PAGES = 20;
const NETWORK_ERROR_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH"]);

/** Searches until `maxImages` unique image URLs are found or DuckDuckGo has no more. */
export async function searchImages(params: SearchImagesParams): Promise<ImageSearchResult[]> {
  const found = new Map<string, ImageSearchResult>();
  let offset = 0;
  let vqd: string | undefined;
  for (let page = 0; page < MAX_PAGES && found.size < params.maxImages; page += 1) {
    throwIfAborted(params.signal, "search");
    const response = await searchPageWithRetries(params, offset, vqd);
    if (response.results.length === 0) break;
    // duck-duck-scrape only accepts a VQD back in its three-part form.
    vqd = /^\d-\d+-\d+$/.test(response.vqd) ? response.vqd : undefined;
    const before = found.size;
    for (const result of response.results) {
      if (found.size >= params.maxImages) break;
      if (!found.has(result.image)) found.set(result.image, { imageUrl: result.image, pageUrl: result.url, title: result.title });
    }
    params.onProgress?.({ event: "progress", phase: "search", done: found.size, total: params.maxImages, message: params.query });
    if (found.size === before) break;
    offset += response.results.length;
  }
  return [...found.values()];
}

type SearchPage = Awaited<ReturnType<typeof ddgSearchImages>>;
type NeedleOptions = NonNullable<Parameters<typeof ddgSearchImages>[2]>;

async function searchPageWithRetries(params: SearchImagesParams, offset: number, vqd: string | undefined): Promise<SearchPage> {
  const retries = params.retries ?? 4;
  let delay = params.backoffMs ?? 4000;
  let lastProblem = "";
  for (let attempt = 0; attempt <= retries; attempt += 1) {
    throwIfAborted(params.signal, "search");
    try {
      return await ddgSearchImages(params.query, { safeSearch: SafeSearchType.MODERATE, offset, ...(vqd ? { vqd } : {}) }, needleOptions(params.signal));
    } catch (error) {
      if (params.signal?.aborted) throwIfAborted(params.signal, "search");
      const code = (error as NodeJS.ErrnoException).code;
      if (code && NETWORK_ERROR_CODES.has(code) && attempt >= 1) throw new SearchUnreachableError(params.query, code);
      lastProblem = describeSearchFailure(error);
      if (attempt === retries) break;
      params.onProgress?.({ event: "warning", message: `DuckDuckGo: ${lastProblem}; retrying "${params.query}" in ${delay < 1000 ? `${delay} ms` : `${Math.round(delay / 1000)} s`}` });
      await sleep(delay, params.signal);
      delay *= 2;
    }
  }
  throw new SearchRateLimitedError(params.query, retries + 1, lastProblem);
}

/** Headers as a browser sends them (as duck-duck-scrape does by default), with timeouts and cancellation. */
function needleOptions(signal: AbortSignal | undefined): NeedleOptions {
  return {
    headers: {
      "user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
      "accept-language": "en-US,en;q=0.9",
    },
    open_timeout: 15_000,
    response_timeout: 20_000,
    read_timeout: 20_000,
    ...(signal ? { signal } : {}),
  } as NeedleOptions;
}

/** Turns duck-duck-scrape's terse errors into what actually happened. */
function describeSearchFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (message.includes("server error")) return "HTTP 403 (blocked)";
  if (message.includes("VQD")) return "no search token (VQD) in the answer";
  if (error instanceof SyntaxError) return "an answer that is not search results (anomaly page, 418 or empty body)";
  if (error instanceof TypeError) return "search results in an unexpected shape";
  const code = (error as NodeJS.ErrnoException).code;
  return code ? `network error ${code}` : message;
}
