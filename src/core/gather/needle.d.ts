/** The little of needle (duck-duck-scrape's HTTP client, which ships no types) that search-images uses. */
declare module "needle" {
  export type NeedleOptions = Record<string, unknown>;
  export interface NeedleResponse {
    statusCode?: number;
    headers: Record<string, string | string[] | undefined>;
    body: unknown;
  }
  function needle(method: "get" | "head", url: string, options?: NeedleOptions): Promise<NeedleResponse>;
  export default needle;
}
