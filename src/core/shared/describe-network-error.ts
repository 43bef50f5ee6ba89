/**
 * One place that tells network failures apart, for every service the studio talks to (the Hugging Face Hub, image
 * search): no network, refused or unreachable, a proxy that refuses or wants a password, a certificate a firm proxy
 * swapped in, a server that does not answer, a connection cut halfway. Each gets words and a fix instead of an errno,
 * and callers decide from `kind` whether another try can help (a missing network or a bad certificate never heals
 * within a minute of retries; a cut connection often does).
 */

export type NetworkProblemKind =
  /** DNS failed for the service itself: no network, or no DNS. */
  | "offline"
  /** The service's address answered "nothing listens here". */
  | "refused"
  /** No route to the service (network down, VPN, firewall). */
  | "unreachable"
  /** The proxy's name does not resolve, it refuses the connection or cannot be routed to. */
  | "proxy-unreachable"
  /** The proxy wants a user name and password (HTTP 407). */
  | "proxy-auth"
  /** The proxy answered but would not open the way to the service (CONNECT refused with another status). */
  | "proxy-refused"
  /** TLS failed: an untrusted certificate (typical of a firm proxy that inspects HTTPS) or a broken handshake. */
  | "tls"
  /** Connected, then nothing came back in time. */
  | "timeout"
  /** The connection closed in the middle of a request or an answer. */
  | "cut";

export interface NetworkProblem {
  kind: NetworkProblemKind;
  /** A sentence naming what failed, e.g. "The proxy http://proxy:3128 refused the connection (ECONNREFUSED)." */
  message: string;
  /** What to do about it. */
  hint: string;
  /** The low-level code, kept for logs and tests (never shown alone). */
  code?: string;
}

export interface NetworkErrorContext {
  /** Who was being reached, in words: "the Hugging Face Hub", "DuckDuckGo". */
  service: string;
  /** The URL (or host) of the request; only its host is shown. */
  url: string;
  /** The proxy the request went through, when one did: every connect-level failure is then the proxy's. */
  proxy?: string;
  /** A status the proxy itself answered with (clients that send absolute-form requests see it as the answer). */
  proxyStatus?: number;
  /** The timeout in force, for the message ("did not answer in 30 s"). */
  timeoutMs?: number;
  /** True when the caller's own deadline ended the request (libraries report that as a plain reset or abort). */
  timedOut?: boolean;
  /** Appended to every hint: how to resume ("run deploy again: files already uploaded are not sent twice"). */
  then?: string;
}

const DNS_CODES = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_NONAME", "EAI_FAIL"]);
const UNREACHABLE_CODES = new Set(["EHOSTUNREACH", "ENETUNREACH", "ENETDOWN", "EHOSTDOWN", "EADDRNOTAVAIL"]);
const TIMEOUT_CODES = new Set(["ETIMEDOUT", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "ESOCKETTIMEDOUT"]);
const CUT_CODES = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED", "UND_ERR_SOCKET", "UND_ERR_CLOSED", "ERR_STREAM_PREMATURE_CLOSE"]);
/** Certificate verification failures as OpenSSL names them (Node puts them in `code`). */
const CERTIFICATE_CODE = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS_CERT/;
const TLS_CODE = /^(EPROTO|ERR_SSL_|ERR_TLS_)/;

const CERTIFICATE_HINT =
  "A firm proxy or antivirus that inspects HTTPS shows its own certificate: save it as a PEM file (ask IT, or export it from the browser) and set NODE_EXTRA_CA_CERTS=/path/to/it.pem (in VS Code: restart it from a shell where that is set). Otherwise check the computer's date and time.";
const CONNECTION_HINT = "Check the internet connection (Wi-Fi, cable, VPN). Behind a firm proxy, set HTTPS_PROXY=http://proxy:port.";
const PROXY_HINT = "Check HTTPS_PROXY / HTTP_PROXY (address and port), that the proxy runs, or unset them if this network needs no proxy; NO_PROXY lists hosts reached directly.";

/** Classifies `error`; undefined when it is not a network failure (an HTTP answer, a parser error, a bug). */
export function describeNetworkError(error: unknown, context: NetworkErrorContext): NetworkProblem | undefined {
  const facts = collect(error);
  const host = hostOf(context.url);
  const proxy = context.proxy ? redactProxy(context.proxy) : undefined;
  const theProxy = proxy ? `The proxy ${proxy}` : "The proxy";
  const then = context.then ? ` ${context.then}` : "";
  const code = facts.code;
  const tag = code ? ` (${code})` : "";
  const problem = (kind: NetworkProblemKind, message: string, hint: string): NetworkProblem => ({ kind, message, hint: `${hint}${then}`, code });

  // undici reports a refused CONNECT as "Proxy response (407) !== 200 when HTTP Tunneling".
  const proxyStatus = context.proxyStatus !== undefined ? String(context.proxyStatus) : /Proxy response \((\d{3})\)/i.exec(facts.messages)?.[1];
  if (proxyStatus === "407") {
    return problem("proxy-auth", `${theProxy} wants a user name and password (HTTP 407).`,
      "Put them in the proxy address, e.g. HTTPS_PROXY=http://user:password@proxy:port (ask IT which account to use).");
  }
  if (proxyStatus) {
    return problem("proxy-refused", `${theProxy} would not connect to ${host} (HTTP ${proxyStatus}).`,
      `The proxy may block ${host} or be unable to reach it: ask IT to allow it, or check HTTPS_PROXY.`);
  }
  if (context.timedOut || (code && TIMEOUT_CODES.has(code)) || facts.names.includes("TimeoutError")) {
    const seconds = context.timeoutMs !== undefined ? ` in ${formatSeconds(context.timeoutMs)}` : " in time";
    return problem("timeout", `${capitalise(context.service)} at ${host} did not answer${seconds}${proxy ? ` (asked through the proxy ${proxy})` : ""}.`,
      `It may be overloaded, or the network${proxy ? " or the proxy" : ""} is very slow or drops the answer: try again in a few minutes. ${CONNECTION_HINT}`);
  }
  if (code && (CERTIFICATE_CODE.test(code) || TLS_CODE.test(code))) {
    // Through an http:// proxy the certificate is the one shown for the service (swapped by an inspecting proxy);
    // an https:// proxy shows its own first.
    const peer = proxy?.startsWith("https:") ? `the proxy ${proxy}` : host;
    if (CERTIFICATE_CODE.test(code)) {
      return problem("tls", `The secure connection to ${peer} failed: its certificate is not trusted${tag}.`, CERTIFICATE_HINT);
    }
    return problem("tls", `The secure connection to ${peer} failed${tag}.`,
      `Check that the address (and the proxy in HTTPS_PROXY: usually http://, not https://) is right. ${CERTIFICATE_HINT}`);
  }
  if (code && DNS_CODES.has(code)) {
    if (proxy) return problem("proxy-unreachable", `${theProxy} cannot be found (its name does not resolve${tag}).`, PROXY_HINT);
    return problem("offline", `Could not look up ${host}: this computer seems to have no network connection, or no working DNS${tag}.`, CONNECTION_HINT);
  }
  if (code === "ECONNREFUSED") {
    if (proxy) return problem("proxy-unreachable", `${theProxy} refused the connection${tag}.`, PROXY_HINT);
    return problem("refused", `${capitalise(context.service)} at ${host} refused the connection${tag}.`,
      `Nothing answers at that address: check it, and that no firewall blocks it. ${CONNECTION_HINT}`);
  }
  if (code && UNREACHABLE_CODES.has(code)) {
    if (proxy) return problem("proxy-unreachable", `${theProxy} cannot be reached from this computer${tag}.`, PROXY_HINT);
    return problem("unreachable", `${host} cannot be reached from this computer (no route to it${tag}).`, CONNECTION_HINT);
  }
  if ((code && CUT_CODES.has(code)) || /^terminated$|socket hang up|other side closed/im.test(facts.messages)) {
    return problem("cut", `The connection to ${context.service} was cut before the answer was complete${tag}.`,
      `The network${proxy ? ", the proxy" : ""} or ${context.service} closed it: try again; if it keeps happening, try another network or check the proxy.`);
  }
  return undefined;
}

/** The proxy an HTTP client would use for `url`: the first of the variables `names` that is set (in that client's order and case), unless NO_PROXY covers the host. */
export function proxyFor(url: string, env: NodeJS.ProcessEnv, names: readonly string[]): string | undefined {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return undefined;
  }
  const proxy = names.map((name) => env[name]).find((value) => !!value);
  if (!proxy) return undefined;
  const noProxy = (env.NO_PROXY ?? env.no_proxy ?? "").split(/[\s,]+/).filter(Boolean);
  const hostname = target.hostname.toLowerCase();
  const bypass = noProxy.some((entry) => {
    if (entry === "*") return true;
    const name = entry.replace(/:\d+$/, "").replace(/^\*?\.?/, "").toLowerCase();
    return hostname === name || hostname.endsWith(`.${name}`);
  });
  return bypass ? undefined : proxy;
}

/** The proxy undici's EnvHttpProxyAgent picks for `url`: lower case first; https falls back to the http proxy. */
export function envProxyAgentProxyFor(url: string, env: NodeJS.ProcessEnv): string | undefined {
  const http = ["http_proxy", "HTTP_PROXY"];
  return proxyFor(url, env, url.startsWith("https:") ? ["https_proxy", "HTTPS_PROXY", ...http] : http);
}

interface Facts {
  code?: string;
  names: string[];
  messages: string;
}

/** undici and Node nest the real cause (fetch failed → cause → AggregateError → errors[0]): look through all of it. */
function collect(error: unknown): Facts {
  const facts: Facts = { names: [], messages: "" };
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number) => {
    if (!value || typeof value !== "object" || seen.has(value) || depth > 5) return;
    seen.add(value);
    const item = value as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
    // The innermost code is the most specific one (fetch's own TypeError has none).
    if (typeof item.code === "string" && item.code !== "ABORT_ERR") facts.code = item.code;
    if (typeof item.name === "string") facts.names.push(item.name);
    if (typeof item.message === "string") facts.messages += `${item.message}\n`;
    visit(item.cause, depth + 1);
    if (Array.isArray(item.errors)) visit(item.errors[0], depth + 1);
  };
  visit(error, 0);
  return facts;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** A proxy URL may carry a password: show scheme, host and port only. */
function redactProxy(proxy: string): string {
  try {
    const url = new URL(proxy.includes("://") ? proxy : `http://${proxy}`);
    return `${url.protocol}//${url.host}`;
  } catch {
    return "(the configured proxy)";
  }
}

/** "400 ms", "2.5 s", "30 s": waits as the messages show them. */
export function formatSeconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
