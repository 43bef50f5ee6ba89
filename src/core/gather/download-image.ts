/** Downloads one image URL with every limit a hostile web needs: http(s) only, timeout, redirect cap, size cap. */
import { EnvHttpProxyAgent, request, type Dispatcher } from "undici";
import { describeNetworkError, envProxyAgentProxyFor, type NetworkProblem, type NetworkProblemKind } from "../shared/describe-network-error";
import { CancelledError, StudioError } from "../shared/errors";

/** Why a download failed; `transient` ones are tried again on the next run, the others are remembered. */
export class DownloadError extends StudioError {
  constructor(readonly reason: string, message: string, readonly transient: boolean, /** Set for network failures: what failed and the fix. */ readonly problem?: NetworkProblem) {
    super(message, "download-failed", problem?.hint);
  }
}

/** Failure reasons by network problem: one per fix the user would apply (all are tried again next run). */
const NETWORK_REASONS: Record<NetworkProblemKind, string> = {
  timeout: "timeout",
  cut: "network",
  offline: "no-network",
  refused: "unreachable",
  unreachable: "unreachable",
  "proxy-unreachable": "proxy",
  "proxy-auth": "proxy",
  "proxy-refused": "proxy",
  tls: "certificate",
};

export interface DownloadImageParams {
  url: string;
  timeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
  signal?: AbortSignal;
  /** Shares connections and the proxy settings across downloads; see createDownloadDispatcher. */
  dispatcher?: Dispatcher;
}

export interface DownloadedImage {
  body: Buffer;
  finalUrl: string;
  contentType?: string;
}

/** A connection pool that honours HTTPS_PROXY / HTTP_PROXY / NO_PROXY, as firm networks need. */
export function createDownloadDispatcher(): Dispatcher {
  return new EnvHttpProxyAgent();
}

const REQUEST_HEADERS = {
  "user-agent": "Mozilla/5.0 (compatible; deepfake-studio; +https://github.com/) AppleWebKit/537.36 Chrome/129 Safari/537.36",
  accept: "image/avif,image/webp,image/png,image/jpeg,image/*;q=0.8,*/*;q=0.5",
};

/** Fetches the bytes of an image, following at most `maxRedirects` redirects. */
export async function downloadImage(params: DownloadImageParams): Promise<DownloadedImage> {
  const timeout = AbortSignal.timeout(params.timeoutMs);
  const signal = params.signal ? AbortSignal.any([params.signal, timeout]) : timeout;
  // undici does not abort a proxy's CONNECT that never answers, so the deadline is enforced out here too.
  return rejectOnAbort(fetchFollowingRedirects(params, signal), signal, params);
}

async function fetchFollowingRedirects(params: DownloadImageParams, signal: AbortSignal): Promise<DownloadedImage> {
  let url = parseHttpUrl(params.url);
  for (let redirects = 0; ; redirects += 1) {
    const response = await send(url, params, signal);
    const location = headerValue(response.headers.location);
    if (response.statusCode >= 300 && response.statusCode < 400 && location) {
      response.body.resume();
      if (redirects >= params.maxRedirects) throw new DownloadError("too-many-redirects", `More than ${params.maxRedirects} redirects`, false);
      url = parseHttpUrl(new URL(location, url).toString());
      continue;
    }
    if (response.statusCode !== 200) {
      response.body.resume();
      const transient = response.statusCode === 429 || response.statusCode >= 500;
      throw new DownloadError(`http-${response.statusCode}`, `HTTP ${response.statusCode}`, transient);
    }
    const body = await readCapped(response, params, signal, url);
    return { body, finalUrl: url.toString(), contentType: headerValue(response.headers["content-type"]) };
  }
}

async function send(url: URL, params: DownloadImageParams, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
  try {
    return await request(url, {
      method: "GET",
      headers: REQUEST_HEADERS,
      signal,
      dispatcher: params.dispatcher,
      headersTimeout: params.timeoutMs,
      bodyTimeout: params.timeoutMs,
    });
  } catch (error) {
    throw classifyNetworkError(error, params, url);
  }
}

async function readCapped(response: Dispatcher.ResponseData, params: DownloadImageParams, signal: AbortSignal, url: URL): Promise<Buffer> {
  const { maxBytes } = params;
  const declared = Number(headerValue(response.headers["content-length"]) ?? Number.NaN);
  if (declared > maxBytes) {
    response.body.destroy();
    throw new DownloadError("too-large", `Content-Length ${declared} is over the ${maxBytes}-byte cap`, false);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) {
        response.body.destroy();
        throw new DownloadError("too-large", `Body is over the ${maxBytes}-byte cap`, false);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof DownloadError) throw error;
    throw classifyNetworkError(signal.aborted ? signal.reason ?? error : error, params, url);
  }
  return Buffer.concat(chunks);
}

function rejectOnAbort<T>(work: Promise<T>, signal: AbortSignal, params: DownloadImageParams): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(classifyNetworkError(signal.reason, params, params.url));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function parseHttpUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DownloadError("invalid-url", `Not a URL: ${raw.slice(0, 200)}`, false);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new DownloadError("unsupported-protocol", `Only http(s) URLs are downloaded, not ${url.protocol}`, false);
  }
  return url;
}

function classifyNetworkError(error: unknown, params: DownloadImageParams, url: URL | string): Error {
  if (params.signal?.aborted) return new CancelledError("download");
  const name = (error as Error | undefined)?.name ?? "";
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? "";
  if (name === "TimeoutError" || code.includes("TIMEOUT")) return new DownloadError("timeout", "The server did not answer in time", true);
  const href = url.toString();
  const problem = describeNetworkError(error, { service: "the image's server", url: href, proxy: envProxyAgentProxyFor(href, process.env), timeoutMs: params.timeoutMs });
  if (problem) return new DownloadError(NETWORK_REASONS[problem.kind], problem.message, true, problem);
  return new DownloadError("network", `Network error ${code || (error as Error)?.message || String(error)}`, true);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
