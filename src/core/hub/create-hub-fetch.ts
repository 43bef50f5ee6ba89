/**
 * The fetch every hub call of the studio goes through: proxy-aware by default, cancellable with one signal, and
 * retrying only what is safe to send twice. Nothing here logs a request: headers carry the token.
 */
import { EnvHttpProxyAgent, fetch as undiciFetch } from "undici";
import { CancelledError } from "../shared/errors";
import { sleep } from "../shared/sleep";
import { HubError } from "./hub-error";

export interface CreateHubFetchParams {
  /** A fetch to wrap (tests, custom proxies); default: undici's, through HTTP(S)_PROXY/NO_PROXY from `env`. */
  fetch?: typeof fetch;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Extra tries after the first, for the requests that are safe to repeat (default 4). */
  retries?: number;
  /** First back-off delay; doubles after each try (default 1000 ms; Retry-After wins when the hub sends one). */
  retryDelayMs?: number;
  /** Told about each retry, e.g. to print "hub busy, retrying". */
  onRetry?: (info: { url: string; attempt: number; reason: string; delayMs: number }) => void;
}

export interface HubFetch {
  fetch: typeof fetch;
  /** Releases the proxy agent's sockets; call when done. */
  close(): Promise<void>;
}

/** Answers that mean "not now, try later": rate limit, gateway trouble, hub overloaded. */
const TRANSIENT_STATUS: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);
/** For a commit only the answers that mean "not processed" are safe to resend. */
const NOT_PROCESSED_STATUS: ReadonlySet<number> = new Set([429, 503]);
/** Socket errors that happen before a request reaches the server: repeating it cannot apply it twice. */
const NOT_SENT_CODES: ReadonlySet<string> = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT"]);
const MAX_RETRY_AFTER_MS = 60_000;

export function createHubFetch(params: CreateHubFetchParams = {}): HubFetch {
  const { agent, base } = baseFetch(params);
  const retries = params.retries ?? 4;
  const retryDelayMs = params.retryDelayMs ?? 1000;

  const hubFetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const method = (init.method ?? "GET").toUpperCase();
    const signal = combine(params.signal, init.signal ?? undefined);
    const commit = method === "POST" && /\/api\/(?:models|datasets|spaces)\/.+\/commit\//.test(new URL(url).pathname);
    for (let attempt = 0; ; attempt++) {
      if (params.signal?.aborted) throw new CancelledError("upload to the hub");
      let response: Response;
      try {
        response = await base(url, { ...init, signal });
      } catch (error) {
        if (params.signal?.aborted) throw new CancelledError("upload to the hub");
        if (signal?.aborted) throw error; // the library cancelled its own parallel requests after a failure
        const code = socketCode(error);
        const safe = !commit || (code !== undefined && NOT_SENT_CODES.has(code));
        if (!safe || attempt >= retries) throw networkError(url, error, code);
        await wait(attempt, undefined, `${code ?? "network error"}`);
        continue;
      }
      const retryable = commit ? NOT_PROCESSED_STATUS.has(response.status) : TRANSIENT_STATUS.has(response.status);
      if (!retryable || attempt >= retries) return response;
      // Drain the body so the socket can be reused.
      await response.arrayBuffer().catch(() => undefined);
      await wait(attempt, response.headers.get("retry-after"), `HTTP ${response.status}`);
    }

    async function wait(attempt: number, retryAfter: string | null | undefined, reason: string): Promise<void> {
      const delayMs = retryAfterMs(retryAfter) ?? retryDelayMs * 2 ** attempt;
      params.onRetry?.({ url: redact(url), attempt: attempt + 1, reason, delayMs });
      await sleep(delayMs, params.signal);
    }
  };
  return { fetch: hubFetch as typeof fetch, close: async () => { await agent?.destroy().catch(() => undefined); } };
}

function baseFetch(params: CreateHubFetchParams): { agent?: EnvHttpProxyAgent; base: (url: string, init: RequestInit) => Promise<Response> } {
  if (params.fetch) return { base: params.fetch };
  const env = params.env ?? process.env;
  // "" rather than undefined: undici would otherwise read process.env even when a custom env was given.
  const agent = new EnvHttpProxyAgent({
    httpProxy: env.http_proxy ?? env.HTTP_PROXY ?? "",
    httpsProxy: env.https_proxy ?? env.HTTPS_PROXY ?? "",
    noProxy: env.no_proxy ?? env.NO_PROXY ?? "",
  });
  const base = (url: string, init: RequestInit) =>
    undiciFetch(url, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher: agent }) as unknown as Promise<Response>;
  return { agent, base };
}

/** Both signals, when both are given (the caller's cancel and the library's own). */
function combine(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  if (!a) return b;
  if (!b) return a;
  return AbortSignal.any([a, b]);
}

/** Retry-After in seconds or as an HTTP date, capped; undefined when absent or unreadable. */
function retryAfterMs(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS) : undefined;
}

/** undici puts the socket error in `cause`. */
function socketCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  const code = cause?.code ?? (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

function networkError(url: string, error: unknown, code: string | undefined): HubError {
  const host = safeHost(url);
  const detail = code ?? (error instanceof Error ? error.message : String(error));
  return new HubError(
    `Could not reach the Hugging Face Hub at ${host} (${detail}).`,
    "hub-network",
    "Check your internet connection or proxy (HTTPS_PROXY), and HF_ENDPOINT if you set it; then run the command again — files already uploaded are not sent twice.",
    undefined,
    redact(url),
  );
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** URLs from the hub never carry the token, but signed storage URLs carry other secrets: keep only origin + path. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return url;
  }
}
