/**
 * The fetch every hub call of the studio goes through: proxy-aware by default, cancellable with one signal, and
 * retrying only what is safe to send twice. Nothing here logs a request: headers carry the token.
 */
import { EnvHttpProxyAgent, fetch as undiciFetch } from "undici";
import { describeNetworkError, envProxyAgentProxyFor, formatSeconds, type NetworkProblem, type NetworkProblemKind } from "../shared/describe-network-error";
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
  /**
   * Longest wait for the hub's answer to start, and between two pieces of it (default 30 s). Not a limit on a whole
   * request: an upload's clock restarts with every chunk sent, so a large LFS file may take as long as bytes flow.
   */
  timeoutMs?: number;
  /** Told about each retry, e.g. to print "hub busy, retrying"; `reason` is a phrase ("the hub answered HTTP 503"). */
  onRetry?: (info: { url: string; attempt: number; reason: string; delayMs: number }) => void;
  /** Told every few seconds while a request waits for its answer (uploads report their own progress instead). */
  onWait?: (info: { url: string; waitedMs: number }) => void;
}

export interface HubFetch {
  fetch: typeof fetch;
  /**
   * The same connection (proxy, signal) without retries or reading the answer whole: for server-sent events such
   * as a Job's logs, which stay open while it runs. The caller reconnects when the stream is cut.
   */
  stream: typeof fetch;
  /** Releases the proxy agent's sockets; call when done. */
  close(): Promise<void>;
}

export const DEFAULT_HUB_TIMEOUT_MS = 30_000;
/** Answers that mean "not now, try later": rate limit, gateway trouble, hub overloaded. */
const TRANSIENT_STATUS: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);
/** For a commit only the answers that mean "not processed" are safe to resend. */
const NOT_PROCESSED_STATUS: ReadonlySet<number> = new Set([429, 503]);
/** Failures before a request reaches the hub: repeating it cannot apply it twice, and they may heal (a restart, DNS). */
const NOT_SENT: ReadonlySet<NetworkProblemKind> = new Set(["offline", "refused", "unreachable", "proxy-unreachable"]);
/** A hub silent for the whole timeout three times is down for now: stop there, so the total wait stays bounded. */
const MAX_TIMEOUTS = 3;
const MAX_RETRY_AFTER_MS = 60_000;
const NULL_BODY_STATUS: ReadonlySet<number> = new Set([101, 204, 205, 304]);
const RESUME = "Then run deploy again: files already on the hub are not sent twice.";

export function createHubFetch(params: CreateHubFetchParams = {}): HubFetch {
  const timeoutMs = params.timeoutMs ?? DEFAULT_HUB_TIMEOUT_MS;
  const { agent, base } = baseFetch(params, timeoutMs);
  const env = params.env ?? process.env;
  const retries = params.retries ?? 4;
  const retryDelayMs = params.retryDelayMs ?? 1000;
  // A notice a few times per timeout, but not a flood: 10 s apart with the default 30 s.
  const noticeMs = Math.max(200, Math.min(10_000, Math.round(timeoutMs / 3)));

  const hubFetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const method = (init.method ?? "GET").toUpperCase();
    const commit = method === "POST" && /\/api\/(?:models|datasets|spaces)\/.+\/commit\//.test(new URL(url).pathname);
    const proxy = params.fetch ? undefined : envProxyAgentProxyFor(url, env);
    let timeouts = 0;
    for (let attempt = 0; ; attempt++) {
      if (params.signal?.aborted) throw new CancelledError("upload to the hub");
      let response: Response;
      const watchdog = new AbortController();
      try {
        response = await once(url, method, init, watchdog);
      } catch (error) {
        if (params.signal?.aborted) throw new CancelledError("upload to the hub");
        if (init.signal?.aborted) throw error; // the library cancelled its own parallel requests after a failure
        const problem = describeNetworkError(error, { service: "the Hugging Face Hub", url, proxy, timeoutMs, timedOut: watchdog.signal.aborted });
        if (!problem) throw error;
        if (problem.kind === "timeout") timeouts += 1;
        // A commit that timed out or was cut may have been applied: never send it twice.
        const retryable = NOT_SENT.has(problem.kind) || (!commit && (problem.kind === "cut" || (problem.kind === "timeout" && timeouts < MAX_TIMEOUTS)));
        if (!retryable || attempt >= retries) throw networkError(url, problem, attempt + 1, commit);
        await wait(attempt, undefined, problem.kind === "timeout" ? `the hub did not answer in ${formatSeconds(timeoutMs)}` : problem.kind === "cut" ? "the connection to the hub was cut" : `could not reach the hub (${problem.code ?? problem.kind})`);
        continue;
      }
      const retryable = commit ? NOT_PROCESSED_STATUS.has(response.status) : TRANSIENT_STATUS.has(response.status);
      if (!retryable || attempt >= retries) return response;
      await wait(attempt, response.headers.get("retry-after"), `the hub answered HTTP ${response.status}`);
    }

    async function wait(attempt: number, retryAfter: string | null | undefined, reason: string): Promise<void> {
      const delayMs = retryAfterMs(retryAfter) ?? retryDelayMs * 2 ** attempt;
      params.onRetry?.({ url: redact(url), attempt: attempt + 1, reason, delayMs });
      await sleep(delayMs, params.signal);
    }
  };

  /**
   * One try, answer read whole: a connection cut halfway through the answer then fails here, where the request can
   * be repeated, instead of as a bare "terminated" inside the library (the hub's API answers are small JSON).
   */
  async function once(url: string, method: string, init: RequestInit, watchdog: AbortController): Promise<Response> {
    const signal = AbortSignal.any([params.signal, init.signal ?? undefined, watchdog.signal].filter((s): s is AbortSignal => !!s));
    // Large uploads are left to the agent's header timeout, which restarts with every chunk sent; the rest get a
    // watchdog too, as undici does not time out a proxy that accepts CONNECT and never answers.
    const streamed = streamLargeBody(init);
    const upload = streamed !== undefined;
    const started = Date.now();
    let timer = upload ? undefined : setTimeout(() => watchdog.abort(), timeoutMs);
    const notice = upload || !params.onWait ? undefined : setInterval(() => params.onWait?.({ url: redact(url), waitedMs: Date.now() - started }), noticeMs);
    try {
      const response = await base(url, { ...init, ...streamed, signal });
      clearInterval(notice);
      if (timer) {
        clearTimeout(timer);
        timer = setTimeout(() => watchdog.abort(), timeoutMs);
      }
      const body = NULL_BODY_STATUS.has(response.status) || method === "HEAD" ? null : await response.arrayBuffer();
      const copy = new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
      // The library names the failing URL in its errors from response.url.
      Object.defineProperty(copy, "url", { value: response.url || url });
      return copy;
    } finally {
      clearTimeout(timer);
      clearInterval(notice);
    }
  }

  const stream = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const signal = AbortSignal.any([params.signal, init.signal ?? undefined].filter((s): s is AbortSignal => !!s));
    return base(url, { ...init, signal });
  };
  return { fetch: hubFetch as typeof fetch, stream: stream as typeof fetch, close: async () => { await agent?.destroy().catch(() => undefined); } };
}

function baseFetch(params: CreateHubFetchParams, timeoutMs: number): { agent?: EnvHttpProxyAgent; base: (url: string, init: RequestInit) => Promise<Response> } {
  if (params.fetch) return { base: params.fetch };
  const env = params.env ?? process.env;
  // "" rather than undefined: undici would otherwise read process.env even when a custom env was given.
  const agent = new EnvHttpProxyAgent({
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    httpProxy: env.http_proxy ?? env.HTTP_PROXY ?? "",
    httpsProxy: env.https_proxy ?? env.HTTPS_PROXY ?? "",
    noProxy: env.no_proxy ?? env.NO_PROXY ?? "",
  });
  const base = (url: string, init: RequestInit) =>
    undiciFetch(url, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher: agent }) as unknown as Promise<Response>;
  return { agent, base };
}

const UPLOAD_CHUNK_BYTES = 64 * 1024;
/** Bodies above this are streamed and exempt from the watchdog: on a slow uplink sending them may take a while. */
const LARGE_BODY_BYTES = 256 * 1024;

/**
 * undici writes a body in one piece and restarts its header timeout only when a write waits for the socket: a large
 * upload on a slow link would then time out while its bytes still flow. Fed in small chunks, every chunk the socket
 * takes restarts the clock. Content-Length stays set, as LFS storage refuses chunked uploads. Undefined: a small
 * body (or none), sent as it is under the watchdog.
 */
function streamLargeBody(init: RequestInit): RequestInit | undefined {
  const body = init.body;
  if (body === undefined || body === null) return undefined;
  const blob = typeof body === "string" ? new Blob([body]) : body instanceof Blob ? body : ArrayBuffer.isView(body) || body instanceof ArrayBuffer ? new Blob([body as ArrayBuffer]) : undefined;
  // Streams and forms have no size to check: no watchdog, the agent's header timeout still applies.
  if (!blob) return {};
  if (blob.size <= LARGE_BODY_BYTES) return undefined;
  let offset = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (offset >= blob.size) return controller.close();
      const chunk = new Uint8Array(await blob.slice(offset, offset + UPLOAD_CHUNK_BYTES).arrayBuffer());
      offset += chunk.length;
      controller.enqueue(chunk);
    },
  });
  const headers = new Headers(init.headers);
  headers.set("content-length", String(blob.size));
  if (typeof body === "string" && !headers.has("content-type")) headers.set("content-type", "text/plain;charset=UTF-8");
  return { body: stream, headers, duplex: "half" } as RequestInit;
}

/** Retry-After in seconds or as an HTTP date, capped; undefined when absent or unreadable. */
function retryAfterMs(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS) : undefined;
}

function networkError(url: string, problem: NetworkProblem, tries: number, commit: boolean): HubError {
  const message = tries > 1 ? problem.message.replace(/\.$/, `, ${tries} tries.`) : problem.message;
  let hint = problem.hint;
  if (problem.kind === "timeout") hint = `${hint} See https://status.huggingface.co; on a slow connection allow a longer wait with DEEPFAKE_STUDIO_HUB_TIMEOUT=<seconds>.`;
  if (commit && (problem.kind === "timeout" || problem.kind === "cut")) hint = `The commit may have been applied all the same: open the Space page to check. ${hint}`;
  hint = `${hint} ${RESUME}`;
  return new HubError(message, problem.kind === "timeout" ? "hub-timeout" : "hub-network", hint, undefined, redact(url));
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
