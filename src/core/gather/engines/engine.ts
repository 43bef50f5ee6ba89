/**
 * What every image search engine fills (ddgs-style, see STYLE.md §5): one file per engine, the same record out of
 * each, and the failures an engine can have named once here so the dispatcher can tell "skip this engine" from
 * "stop the gather".
 */
import type { NetworkProblem } from "../../shared/describe-network-error";
import { StudioError } from "../../shared/errors";
import type { Hint } from "../../shared/hint";
import type { OperationOptions } from "../../shared/progress";
import type { Dispatcher } from "undici";
import { ENGINE_TITLES, type EngineName } from "./engine-names";

/** One picture an engine found. */
export interface ImageSearchResult {
  imageUrl: string;
  pageUrl?: string;
  title?: string;
  /** The engine that found it (recorded as the manifest's `source`). */
  engine: EngineName;
  /** Licence as the engine states it ("CC BY-SA 4.0", "by-sa 2.0", "Public domain"); only engines that know it. */
  license?: string;
  licenseUrl?: string;
  /** Author or creator, as plain text. */
  author?: string;
}

export interface EngineSearchParams extends OperationOptions {
  query: string;
  /** Stop once this many unique image URLs are found. */
  maxImages: number;
  /** Retries after a rate-limit or block answer, with exponential back-off. */
  retries: number;
  /** First back-off delay in ms; doubles after every refusal. */
  backoffMs: number;
  /** Longest wait for one answer. */
  timeoutMs: number;
  /** Connection pool honouring HTTPS_PROXY / NO_PROXY (and, in tests, a trusted test certificate). */
  dispatcher?: Dispatcher;
  /** Environment for keys and proxy variables (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Brave Search API key (from BRAVE_API_KEY or the editor's secret storage); never printed. */
  braveApiKey?: string;
}

/** An image search engine: pages through its answers until `maxImages` or the end. */
export interface ImageSearchEngine {
  name: EngineName;
  search(params: EngineSearchParams): Promise<ImageSearchResult[]>;
}

/** Why an engine gave up; any of them makes gather go on with the next engine. */
export type EngineFailure = "rate-limited" | "blocked" | "changed" | "server-error" | "key-missing" | "key-refused" | "unexpected-answer";

/** One engine could not deliver: said in one line, and the next engine is asked. */
export class EngineFailedError extends StudioError {
  constructor(readonly engine: EngineName, readonly failure: EngineFailure, message: string, hint?: Hint) {
    super(message, `search-${failure}`, hint);
  }
}

/** The engine answered with something its parser no longer recognises: its page or API changed. */
export function engineChanged(engine: EngineName, detail: string): EngineFailedError {
  return new EngineFailedError(engine, "changed", `${ENGINE_TITLES[engine]} changed its page (${detail}).`, "Other engines are used meanwhile; report it so the parser can be updated.");
}

/** Parses an API's JSON answer; anything else means the API changed (or answered with a page, not data). */
export function parseEngineJson<T>(engine: EngineName, body: string): T {
  try {
    return JSON.parse(body) as T;
  } catch {
    throw engineChanged(engine, "the API answered with something that is not JSON");
  }
}

/**
 * An engine could not be reached at all: no network, DNS, proxy, certificate, timeout. Every such hint ends with the
 * way to go on without the internet (Import Folder, a button in VS Code).
 */
export class SearchUnreachableError extends StudioError {
  readonly kind: NetworkProblem["kind"];
  constructor(query: string, problem: NetworkProblem, service = "DuckDuckGo") {
    // No DNS for the engine itself and no proxy: the computer is offline, said first.
    const lead = problem.kind === "offline" ? "No network: c" : "C";
    super(`${lead}ould not search ${service} for "${query}": ${lowerFirst(problem.message)}`, "search-unreachable", [`${problem.hint} To work offline, use `, { step: "import" }, " with pictures or videos you have."]);
    this.kind = problem.kind;
  }
}

/** "The proxy…" reads on after a colon as "the proxy…"; names such as "DuckDuckGo" keep their capital. */
function lowerFirst(text: string): string {
  return /^[A-Z][a-z]+\s/.test(text) ? text.charAt(0).toLowerCase() + text.slice(1) : text;
}
