/** Which hub to talk to: an explicit URL, else $HF_ENDPOINT (as huggingface_hub reads it), else huggingface.co. */
import { HUB_URL } from "@huggingface/hub";
import { HubError } from "./hub-error";

export function resolveHubUrl(params: { hubUrl?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const raw = params.hubUrl ?? (params.env ?? process.env).HF_ENDPOINT ?? HUB_URL;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new HubError(`The hub address "${raw}" is not a URL.`, "hub-network", "Set HF_ENDPOINT to something like https://huggingface.co, or unset it.");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new HubError(`The hub address "${raw}" must start with https:// (or http:// for a local hub).`, "hub-network");
  }
  // The library appends "/api/...": a trailing slash would make "//api" paths some proxies refuse.
  return url.href.replace(/\/+$/, "");
}
