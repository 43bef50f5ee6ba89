/**
 * What the engines that speak plain HTTP share, written once: paging, the request with its deadline, back-off on a
 * rate limit or a block page, server errors, a network failure told apart from all of those, and Cancel. An engine
 * file only declares its URL, its headers and how to read its answer (ddgs's build_payload / extract_results).
 */
import { EnvHttpProxyAgent, request, type Dispatcher } from "undici";
import { describeNetworkError, envProxyAgentProxyFor, formatSeconds } from "../../shared/describe-network-error";
import { CancelledError, throwIfAborted } from "../../shared/errors";
import { sleep } from "../../shared/sleep";
import { EngineFailedError, SearchUnreachableError, type EngineFailure, type EngineSearchParams, type ImageSearchEngine, type ImageSearchResult } from "./engine";
import { ENGINE_TITLES, type EngineName } from "./engine-names";

/** One answer, read. */
export interface EnginePage {
  results: Omit<ImageSearchResult, "engine">[];
  /** Entries in the answer before any was filtered out (the next page starts after them). */
  count: number;
  /** The engine said nothing comes after this page. */
  last?: boolean;
}

/** An engine that answers HTTP GETs. */
export interface HttpEngineSpec {
  name: EngineName;
  /** Most pages worth asking for (the engine's own cap, or enough for maxImages' upper bound). */
  maxPages: number;
  /** The request for page `page` (0-based) starting at result `offset`. */
  url(query: string, page: number, offset: number): string;
  headers(params: EngineSearchParams): Record<string, string>;
  /** Throws (an EngineFailedError) when the engine cannot be used at all, e.g. a missing key. */
  check?(params: EngineSearchParams): void;
  /** A 200 answer that is not results (a bot check, an API-level rate limit): its description, to back off and retry. */
  blockPage?(body: string): string | undefined;
  /** Reads one answer; throws engineChanged() when it no longer recognises it. */
  parse(body: string): EnginePage;
}

const MAX_ANSWER_BYTES = 16_000_000;
/** A Retry-After longer than this is not waited for: the engine is skipped instead. */
const MAX_RETRY_AFTER_MS = 60_000;
const RESUME = "Then run gather again: images already downloaded are kept.";

interface Refusal {
  failure: EngineFailure;
  words: string;
  retry: boolean;
  retryAfterMs?: number;
}

/** Builds an engine from its declaration. */
export function httpEngine(spec: HttpEngineSpec): ImageSearchEngine {
  return { name: spec.name, search: (params) => withDispatcher(params, (dispatcher) => searchPages(spec, { ...params, dispatcher })) };
}

async function withDispatcher<T>(params: EngineSearchParams, work: (dispatcher: Dispatcher) => Promise<T>): Promise<T> {
  if (params.dispatcher) return work(params.dispatcher);
  const own = new EnvHttpProxyAgent();
  try {
    return await work(own);
  } finally {
    await own.destroy();
  }
}

async function searchPages(spec: HttpEngineSpec, params: EngineSearchParams): Promise<ImageSearchResult[]> {
  spec.check?.(params);
  const found = new Map<string, ImageSearchResult>();
  let offset = 0;
  for (let page = 0; page < spec.maxPages && found.size < params.maxImages; page += 1) {
    throwIfAborted(params.signal, "search");
    const answer = spec.parse(await fetchWithRetries(spec, params, spec.url(params.query, page, offset)));
    const before = found.size;
    for (const result of answer.results) {
      if (found.size >= params.maxImages) break;
      if (!found.has(result.imageUrl)) found.set(result.imageUrl, { ...result, engine: spec.name });
    }
    params.onProgress?.({ event: "progress", phase: "search", done: found.size, total: params.maxImages, message: `${params.query} (${ENGINE_TITLES[spec.name]})` });
    // Some engines repeat their last page forever: a page with nothing new is the end too.
    if (answer.count === 0 || answer.last || found.size === before) break;
    offset += answer.count;
  }
  return [...found.values()];
}

async function fetchWithRetries(spec: HttpEngineSpec, params: EngineSearchParams, url: string): Promise<string> {
  const title = ENGINE_TITLES[spec.name];
  let delay = params.backoffMs;
  let last: Refusal | undefined;
  let cuts = 0;
  let attempts = 0;
  while (attempts <= params.retries) {
    throwIfAborted(params.signal, "search");
    attempts += 1;
    try {
      const answer = await get(url, spec.headers(params), params, title);
      last = refusalOf(spec, answer);
      if (!last) return answer.body;
      if (!last.retry) throw new EngineFailedError(spec.name, last.failure, `${title} refused the search "${params.query}" (${last.words}).`, hintFor(spec.name, last.failure));
    } catch (error) {
      if (!(error instanceof NetworkFailure)) throw error;
      // A missing network, a refusing proxy or a bad certificate do not heal in a minute; a cut connection may.
      if (error.problem.kind !== "cut" || ++cuts > 1) throw new SearchUnreachableError(params.query, error.problem, title);
      last = { failure: "server-error", words: "the connection was cut", retry: true };
    }
    // An engine that asks for a longer pause than a minute is skipped rather than waited for.
    const wait = Math.max(delay, last.retryAfterMs ?? 0);
    if (attempts > params.retries || wait > MAX_RETRY_AFTER_MS) break;
    params.onProgress?.({ event: "warning", message: `${title}: ${last.words}; retrying "${params.query}" in ${formatSeconds(wait)}` });
    await sleep(wait, params.signal);
    delay *= 2;
  }
  const tries = attempts === 1 ? "1 attempt" : `${attempts} attempts`;
  throw new EngineFailedError(spec.name, last!.failure, `${title} did not answer the search "${params.query}" after ${tries} (${last!.words}).`, hintFor(spec.name, last!.failure));
}

function refusalOf(spec: HttpEngineSpec, answer: Answer): Refusal | undefined {
  const { status } = answer;
  if (status === 200) {
    const block = spec.blockPage?.(answer.body);
    return block ? { failure: "blocked", words: block, retry: true } : undefined;
  }
  if (status === 429) return { failure: "rate-limited", words: "HTTP 429, rate limit", retry: true, retryAfterMs: answer.retryAfterMs };
  if (status === 401) return { failure: "key-refused", words: "HTTP 401, the API key was refused", retry: false };
  if (status === 403) return { failure: "blocked", words: "HTTP 403, blocked", retry: true, retryAfterMs: answer.retryAfterMs };
  if (status >= 500) return { failure: "server-error", words: `HTTP ${status}, server error`, retry: true, retryAfterMs: answer.retryAfterMs };
  return { failure: "unexpected-answer", words: `HTTP ${status}`, retry: false };
}

function hintFor(engine: EngineName, failure: EngineFailure): string {
  if (failure === "key-refused") return `Check the ${ENGINE_TITLES[engine]} API key (BRAVE_API_KEY, or the key stored in VS Code) and its plan.`;
  if (failure === "unexpected-answer") return "Other engines are used meanwhile; if it keeps happening, take the engine out of search.engines in deepfake-studio.json.";
  return `Wait a few minutes, or list other engines in search.engines (deepfake-studio.json). ${RESUME}`;
}

interface Answer {
  status: number;
  body: string;
  retryAfterMs?: number;
}

/** A request that never reached an answer: the network's fault, in words. */
class NetworkFailure extends Error {
  constructor(readonly problem: NonNullable<ReturnType<typeof describeNetworkError>>) {
    super(problem.message);
  }
}

async function get(url: string, headers: Record<string, string>, params: EngineSearchParams, service: string): Promise<Answer> {
  const deadline = AbortSignal.timeout(params.timeoutMs);
  const signal = params.signal ? AbortSignal.any([params.signal, deadline]) : deadline;
  const fail = (error: unknown): Error => {
    if (params.signal?.aborted) return new CancelledError("search");
    const problem = describeNetworkError(error, { service, url, proxy: envProxyAgentProxyFor(url, params.env ?? process.env), timeoutMs: params.timeoutMs, timedOut: deadline.aborted, then: RESUME });
    return problem ? new NetworkFailure(problem) : (error as Error);
  };
  const work = (async () => {
    // A copy: undici's proxy agent writes the Host header into the object it is given.
    const response = await request(url, { method: "GET", headers: { ...headers }, signal, dispatcher: params.dispatcher, headersTimeout: params.timeoutMs, bodyTimeout: params.timeoutMs });
    return { status: response.statusCode, body: await readText(response), retryAfterMs: retryAfter(response.headers["retry-after"]) };
  })();
  // undici does not abort a proxy's CONNECT that never answers: the deadline is enforced out here too.
  return new Promise<Answer>((resolve, reject) => {
    const onAbort = () => reject(fail(signal.reason));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, (error) => reject(fail(error))).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

async function readText(response: Dispatcher.ResponseData): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += (chunk as Buffer).length;
    if (size > MAX_ANSWER_BYTES) {
      response.body.destroy();
      break;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function retryAfter(value: string | string[] | undefined): number | undefined {
  const seconds = Number(Array.isArray(value) ? value[0] : value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}
