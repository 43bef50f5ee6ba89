/**
 * Wikimedia Commons through the MediaWiki API: a full-text search in the File namespace (generator=search,
 * gsrnamespace=6) with each file's URL, type and licence metadata (prop=imageinfo, iiprop=url|mime|extmetadata).
 * Real photos with their licence and author.
 */
import { htmlToText } from "../../shared/html-text";
import { engineChanged, parseEngineJson } from "./engine";
import { API_HEADERS } from "./browser-headers";
import { httpEngine, type EnginePage } from "./http-engine";

const COMMONS_API = "https://commons.wikimedia.org/w/api.php";
const PAGE_SIZE = 50;
/** Raster formats the pipeline reads; SVG drawings, PDFs, videos and sounds are not photos to learn from. */
const PHOTO_TYPES = new Set(["image/jpeg", "image/png", "image/webp", "image/gif"]);

interface MetadataField {
  value?: unknown;
}
interface CommonsPage {
  title?: string;
  index?: number;
  imageinfo?: { url?: string; descriptionurl?: string; mime?: string; extmetadata?: Record<string, MetadataField | undefined> }[];
}
interface CommonsAnswer {
  batchcomplete?: boolean;
  error?: { code?: string; info?: string };
  continue?: { gsroffset?: number };
  query?: { pages?: CommonsPage[] };
}

export const wikimedia = httpEngine({
  name: "wikimedia",
  maxPages: 100,
  url: (query, _page, offset) =>
    `${COMMONS_API}?${new URLSearchParams({
      action: "query",
      format: "json",
      formatversion: "2",
      generator: "search",
      gsrsearch: query,
      gsrnamespace: "6",
      gsrlimit: String(PAGE_SIZE),
      gsroffset: String(offset),
      prop: "imageinfo",
      iiprop: "url|mime|extmetadata",
      iiextmetadatafilter: "LicenseShortName|LicenseUrl|Artist|ObjectName",
    })}`,
  headers: () => API_HEADERS,
  // The API says "slow down" in a 200 answer.
  blockPage: (body) => (/"code"\s*:\s*"(ratelimited|maxlag)"/.test(body) ? "API rate limit (ratelimited / maxlag)" : undefined),
  parse: parseCommonsAnswer,
});

/** Reads one MediaWiki API answer. */
export function parseCommonsAnswer(body: string): EnginePage {
  const answer = parseEngineJson<CommonsAnswer>("wikimedia", body);
  if (answer.error) throw engineChanged("wikimedia", `API error ${answer.error.code ?? "?"}: ${answer.error.info ?? ""}`.trim());
  // No `query` in a complete batch is how the API says "no results".
  if (!answer.query) {
    if (answer.batchcomplete !== undefined) return { results: [], count: 0, last: true };
    throw engineChanged("wikimedia", "neither results nor batchcomplete in the answer");
  }
  const pages = answer.query.pages;
  if (!Array.isArray(pages)) throw engineChanged("wikimedia", "query.pages is not a list");
  const ordered = [...pages].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
  const withInfo = ordered.filter((page) => typeof page.imageinfo?.[0]?.url === "string");
  if (pages.length > 0 && withInfo.length === 0) throw engineChanged("wikimedia", "no imageinfo url in any result");
  const results = withInfo.filter((page) => PHOTO_TYPES.has(page.imageinfo![0].mime ?? "")).map((page) => {
    const info = page.imageinfo![0];
    const meta = (name: string) => {
      const value = info.extmetadata?.[name]?.value;
      return typeof value === "string" && value.trim() ? htmlToText(value) : undefined;
    };
    return {
      imageUrl: info.url!,
      pageUrl: info.descriptionurl,
      title: meta("ObjectName") ?? page.title?.replace(/^File:/, "").replace(/\.[a-z0-9]+$/i, ""),
      license: meta("LicenseShortName"),
      licenseUrl: meta("LicenseUrl"),
      author: meta("Artist"),
    };
  });
  return { results, count: pages.length, last: answer.continue?.gsroffset === undefined };
}
