/**
 * Bing's public image results, no key: the page's `a.iusc` results each carry an `m` attribute of JSON with
 * `murl` (the image), `purl` (its page) and `t` (title). Paged with `first` (1-based) and `count`.
 */
import { decodeHtmlEntities } from "../../shared/html-text";
import { engineChanged } from "./engine";
import { BROWSER_HEADERS } from "./browser-headers";
import { httpEngine, type EnginePage } from "./http-engine";

const BING_IMAGES = "https://www.bing.com/images/async";
const PAGE_SIZE = 35;
/** The opening tag of every result; its class list contains "iusc". */
const RESULT_TAG = String.raw`<a\b[^>]*\bclass=(?:"[^"]*\biusc\b[^"]*"|'[^']*\biusc\b[^']*')[^>]*>`;
const M_ATTRIBUTE = /\sm=(?:"([^"]*)"|'([^']*)')/i;
/** An answer without results shorter than this is the end of the results, longer is a page we no longer read. */
const EMPTY_PAGE_BYTES = 2048;

export const bing = httpEngine({
  name: "bing",
  maxPages: 200,
  url: (query, _page, offset) => `${BING_IMAGES}?${new URLSearchParams({ q: query, first: String(offset + 1), count: String(PAGE_SIZE), mmasync: "1", adlt: "moderate" })}`,
  headers: () => ({ ...BROWSER_HEADERS, accept: "text/html" }),
  blockPage: (body) => (!new RegExp(RESULT_TAG, "i").test(body) && /captcha|\/challenge\b|unusual traffic/i.test(body) ? "a bot check (captcha) instead of results" : undefined),
  parse: parseBingPage,
});

/** Reads the results of one Bing answer. */
export function parseBingPage(body: string): EnginePage {
  const tags = body.match(new RegExp(RESULT_TAG, "gi")) ?? [];
  if (tags.length === 0) {
    if (body.length < EMPTY_PAGE_BYTES || /There are no results for/i.test(body)) return { results: [], count: 0 };
    throw engineChanged("bing", `no a.iusc results in a ${Math.round(body.length / 1024)} KB answer`);
  }
  const results = tags.flatMap((tag) => {
    const raw = M_ATTRIBUTE.exec(tag);
    if (!raw) return [];
    try {
      const m = JSON.parse(decodeHtmlEntities(raw[1] ?? raw[2])) as { murl?: unknown; purl?: unknown; t?: unknown };
      if (typeof m.murl !== "string" || !m.murl) return [];
      return [{ imageUrl: m.murl, pageUrl: typeof m.purl === "string" ? m.purl : undefined, title: typeof m.t === "string" ? decodeHtmlEntities(m.t) : undefined }];
    } catch {
      return [];
    }
  });
  if (results.length === 0) throw engineChanged("bing", `${tags.length} a.iusc results, none with an "m" attribute holding murl`);
  return { results, count: tags.length };
}
