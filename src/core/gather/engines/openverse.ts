/**
 * The Openverse images API (openly licensed pictures from Flickr, Wikimedia and others), anonymous: 20 results a page,
 * 12 pages at most, each with its licence, licence URL and creator.
 */
import { engineChanged, parseEngineJson } from "./engine";
import { API_HEADERS } from "./browser-headers";
import { httpEngine, type EnginePage } from "./http-engine";

const OPENVERSE_IMAGES = "https://api.openverse.org/v1/images/";
const PAGE_SIZE = 20;
/** Anonymous callers may read 240 results (12 pages of 20). */
const MAX_PAGES = 12;

interface OpenverseImage {
  url?: unknown;
  foreign_landing_url?: unknown;
  title?: unknown;
  creator?: unknown;
  license?: unknown;
  license_version?: unknown;
  license_url?: unknown;
}
interface OpenverseAnswer {
  page?: number;
  page_count?: number;
  results?: OpenverseImage[];
}

export const openverse = httpEngine({
  name: "openverse",
  maxPages: MAX_PAGES,
  url: (query, page) => `${OPENVERSE_IMAGES}?${new URLSearchParams({ q: query, page: String(page + 1), page_size: String(PAGE_SIZE) })}`,
  headers: () => API_HEADERS,
  parse: parseOpenverseAnswer,
});

/** Reads one Openverse answer. */
export function parseOpenverseAnswer(body: string): EnginePage {
  const answer = parseEngineJson<OpenverseAnswer>("openverse", body);
  if (!Array.isArray(answer.results)) throw engineChanged("openverse", "no results list in the answer");
  const text = (value: unknown) => (typeof value === "string" && value.trim() ? value.trim() : undefined);
  const results = answer.results.flatMap((image) => {
    const imageUrl = text(image.url);
    if (!imageUrl) return [];
    return [{ imageUrl, pageUrl: text(image.foreign_landing_url), title: text(image.title), license: licenceName(text(image.license), text(image.license_version)), licenseUrl: text(image.license_url), author: text(image.creator) }];
  });
  if (answer.results.length > 0 && results.length === 0) throw engineChanged("openverse", "no image url in any result");
  const last = answer.page !== undefined && answer.page_count !== undefined && answer.page >= answer.page_count;
  return { results, count: answer.results.length, last };
}

/** "by-sa", "2.0" → "CC BY-SA 2.0"; "cc0" → "CC0 1.0"; "pdm" → "Public Domain Mark 1.0". */
function licenceName(code: string | undefined, version: string | undefined): string | undefined {
  if (!code) return undefined;
  const suffix = version ? ` ${version}` : "";
  if (code === "pdm") return `Public Domain Mark${suffix}`;
  if (code === "cc0") return `CC0${suffix}`;
  return `CC ${code.toUpperCase()}${suffix}`;
}
