/**
 * Image search on DuckDuckGo through duck-duck-scrape, paged, polite, and patient with rate limits — but not with a
 * broken network: no connection, a refusing proxy or an untrusted certificate fail at once, in words, instead of a
 * minute of retries ending in a rate-limit message. The search token (VQD) is fetched here rather than by the
 * library, which turns every failure of that request into "Failed to get the VQD" and so hides the network's.
 */
import needle from "needle";
import { searchImages as ddgSearchImages, SafeSearchType } from "duck-duck-scrape";
import { describeNetworkError, formatSeconds, proxyFor, type NetworkProblem } from "../shared/describe-network-error";
import { throwIfAborted } from "../shared/errors";
import { EngineFailedError, SearchUnreachableError, type ImageSearchResult } from "./engines/engine";
import type { OperationOptions } from "../shared/progress";
import { sleep } from "../shared/sleep";

/** What duck-duck-scrape gives for one picture, before the dispatcher adds the engine's name. */
export type DuckDuckGoResult = Omit<ImageSearchResult, "engine">;

export interface SearchImagesParams extends OperationOptions {
  query: string;
  /** Stop once this many unique image URLs are found. */
  maxImages: number;
  /** Retries after a rate-limit answer (403/418, anomaly page, VQD failure, empty body). */
  retries?: number;
  /** First back-off delay in ms; doubles after every rate-limit answer. */
  backoffMs?: number;
  /** Longest wait for one request to DuckDuckGo (default 20 s). */
  timeoutMs?: number;
  /** For the proxy variables, as needle reads them (default process.env; needle itself always reads process.env). */
  env?: NodeJS.ProcessEnv;
}

/** DuckDuckGo refused to answer (rate limit or bot check) even after the retries. */
export class SearchRateLimitedError extends EngineFailedError {
  constructor(query: string, attempts: number, lastProblem: string) {
    super(
      "duckduckgo",
      "rate-limited",
      `DuckDuckGo did not answer the search "${query}" after ${attempts} attempts (${lastProblem}). It is rate-limiting this machine.`,
      ["Wait a few minutes and run ", { step: "gather" }, " again: images already downloaded are kept and known URLs are skipped."],
    );
  }
}

export { SearchUnreachableError };

const MAX_PAGES = 20;
const DEFAULT_TIMEOUT_MS = 20_000;
const DUCKDUCKGO = "https://duckduckgo.com/";
/** needle's order: HTTP_PROXY first, for https URLs too, upper case before lower. */
const NEEDLE_PROXY_VARIABLES = ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"];
const VQD = /vqd=['"](\d+-\d+(?:-\d+)?)['"]/;
const RESUME = "Then run gather again: images already downloaded are kept.";

/** DuckDuckGo answered, but not with search results (a refusal, a bot check): worth a retry after a pause. */
class SearchRefused extends Error {}

/** Searches until `maxImages` unique image URLs are found or DuckDuckGo has no more. */
export async function searchImages(params: SearchImagesParams): Promise<DuckDuckGoResult[]> {
  const found = new Map<string, DuckDuckGoResult>();
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
  const timeoutMs = params.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let delay = params.backoffMs ?? 4000;
  let lastProblem = "";
  let cuts = 0;
  for (let attempt = 0; attempt <= retries; attempt += 1) {
    throwIfAborted(params.signal, "search");
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = params.signal ? AbortSignal.any([params.signal, deadline]) : deadline;
    try {
      const token = vqd ?? (await fetchVqd(params.query, signal));
      return await ddgSearchImages(params.query, { safeSearch: SafeSearchType.MODERATE, offset, vqd: token }, needleOptions(signal));
    } catch (error) {
      throwIfAborted(params.signal, "search");
      const proxy = proxyFor(DUCKDUCKGO, params.env ?? process.env, NEEDLE_PROXY_VARIABLES);
      const network = describeNetworkError(error, { service: "DuckDuckGo", url: DUCKDUCKGO, proxy, timeoutMs, timedOut: deadline.aborted, proxyStatus: (error as { proxyStatus?: number } | undefined)?.proxyStatus, then: RESUME });
      // A missing network, a refusing proxy or a bad certificate do not heal in a minute: say so now. A cut
      // connection may be a one-off: one more try.
      if (network && (network.kind !== "cut" || ++cuts > 1)) throw new SearchUnreachableError(params.query, network);
      lastProblem = network ? "the connection was cut" : describeSearchFailure(error);
      if (attempt === retries) break;
      params.onProgress?.({ event: "warning", message: `DuckDuckGo: ${lastProblem}; retrying "${params.query}" in ${formatSeconds(delay)}` });
      await sleep(delay, params.signal);
      delay *= 2;
    }
  }
  throw new SearchRateLimitedError(params.query, retries + 1, lastProblem);
}

/** The search token DuckDuckGo embeds in its page for a query; its absence means a bot check or a refusal. */
async function fetchVqd(query: string, signal: AbortSignal): Promise<string> {
  const response = await needle("get", `${DUCKDUCKGO}?${new URLSearchParams({ q: query, ia: "web" })}`, needleOptions(signal));
  // Through a proxy needle sends the request itself to the proxy, so the proxy's own refusals arrive as answers.
  if (response.statusCode === 407) throw Object.assign(new Error("The proxy wants credentials"), { proxyStatus: 407 });
  if (response.statusCode !== 200) throw new SearchRefused(`HTTP ${response.statusCode ?? "?"}${response.statusCode === 403 ? " (blocked)" : ""}`);
  const token = VQD.exec(String(response.body ?? ""))?.[1];
  if (!token) throw new SearchRefused("no search token (VQD) in the answer");
  return token;
}

/** Headers as a browser sends them (as duck-duck-scrape does by default); `signal` carries the deadline and Cancel. */
function needleOptions(signal: AbortSignal): NeedleOptions {
  return {
    headers: {
      "user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
      "accept-language": "en-US,en;q=0.9",
    },
    // needle's own timers end a request as a bare "socket hang up"; the deadline in `signal` is named as a timeout.
    open_timeout: 0,
    signal,
  } as NeedleOptions;
}

/** Turns duck-duck-scrape's terse errors into what actually happened. */
function describeSearchFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof SearchRefused) return message;
  if (message.includes("server error")) return "HTTP 403 (blocked)";
  if (message.includes("VQD")) return "no search token (VQD) in the answer";
  if (error instanceof SyntaxError) return "an answer that is not search results (anomaly page, 418 or empty body)";
  if (error instanceof TypeError) return "search results in an unexpected shape";
  return message;
}
