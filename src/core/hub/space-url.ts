/** The page of a Space on the hub: https://huggingface.co/spaces/owner/name (or under a custom endpoint). */
import { HUB_URL } from "@huggingface/hub";

export function spaceUrl(params: { repo: string; hubUrl?: string }): string {
  return `${(params.hubUrl ?? HUB_URL).replace(/\/+$/, "")}/spaces/${params.repo}`;
}
