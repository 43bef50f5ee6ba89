/** Turns what @huggingface/hub throws into a HubError that says, per situation, what the user can do about it. */
import { HubApiError } from "@huggingface/hub";
import { CancelledError, StudioError } from "../shared/errors";
import { HubError } from "./hub-error";
import { tokenHint } from "./token-hint";

/** What the studio was doing, for the message ("creating the Space owner/name"). */
export interface HubErrorContext {
  action: "check-token" | "create" | "list" | "upload";
  repo?: string;
  /** Default "space" (deploy); the hf-jobs trainer also writes datasets and models. */
  repoType?: "space" | "dataset" | "model";
  sdk?: string;
}

const REPO_WORD = { space: "Space", dataset: "dataset", model: "model" } as const;

export function describeHubError(error: unknown, context: HubErrorContext): Error {
  if (error instanceof StudioError) return error;
  if (isAbort(error)) return new CancelledError("upload to the Hugging Face Hub");
  if (!(error instanceof HubApiError)) {
    // The library's own checks (token format, repo name) are TypeErrors with readable messages.
    if (error instanceof TypeError && /access token/i.test(error.message)) {
      return new HubError("The Hugging Face token is not in the expected format (it must start with \"hf_\").", "hub-token-invalid", tokenHint());
    }
    return error instanceof Error ? error : new Error(String(error));
  }
  const { statusCode, url } = error;
  const what = doing(context);
  const detail = hubMessage(error);
  const word = REPO_WORD[context.repoType ?? "space"];
  const space = context.repo ? `the ${word} ${context.repo}` : `this ${word}`;
  switch (statusCode) {
    case 401:
      return new HubError(`The Hugging Face Hub rejected the token while ${what} (401${detail}).`, "hub-token-invalid", tokenHint(), statusCode, url);
    case 402:
      return new HubError(
        `The Hugging Face Hub wants a paid plan for ${context.sdk ? `a ${context.sdk} Space` : "this Space"} (402${detail}).`,
        "hub-payment-required",
        ["Gradio and Docker Spaces need a paid plan for new Spaces; static Spaces are free: ", { step: "deploy", sdk: "static", ...(context.repo ? { repo: context.repo } : {}) }, " (the model then runs in the visitor's browser)."],
        statusCode,
        url,
      );
    case 403:
      return new HubError(
        `The token has no write access to ${context.repo ? `"${context.repo.split("/")[0]}"` : "that owner"} while ${what} (403${detail}).`,
        "hub-forbidden",
        [
          "Use your own user name or an organisation where you may write as the owner",
          { cliOnly: " in --space owner/name" },
          { editorOnly: " of the Space" },
          ", or ",
          ...tokenHint("with the \"write\" role (a fine-grained token needs write access to that namespace)", "create"),
        ],
        statusCode,
        url,
      );
    case 404:
      return new HubError(`The Hugging Face Hub does not know ${space} (404${detail}).`, "hub-not-found", "Check the owner/name, and that the token can see the Space if it is private.", statusCode, url);
    case 409:
      return new HubError(`The Hugging Face Hub reports a conflict while ${what} (409${detail}).`, "hub-conflict", "Someone else may be pushing to the Space at the same moment, or a repository of another type has this name; wait a moment and run deploy again, or choose another name.", statusCode, url);
    case 413:
      return new HubError(`The Hugging Face Hub refused a file as too large while ${what} (413${detail}).`, "hub-too-large", "Remove big files you added to the Space folder; the model, examples and runtime the studio writes stay well within the limits.", statusCode, url);
    case 429:
      return new HubError(`The Hugging Face Hub is rate-limiting this token (429${detail}).`, "hub-rate-limited", "Wait a few minutes and run deploy again; nothing is uploaded twice.", statusCode, url);
    default:
      if (statusCode >= 500) {
        return new HubError(`The Hugging Face Hub had a problem while ${what} (HTTP ${statusCode}${detail}).`, "hub-unavailable", "This is on the hub's side; try again in a few minutes (see https://status.huggingface.co).", statusCode, url);
      }
      return new HubError(`The Hugging Face Hub refused ${what} (HTTP ${statusCode}${detail}).`, "hub-rejected", undefined, statusCode, url);
  }
}

function doing(context: HubErrorContext): string {
  const word = REPO_WORD[context.repoType ?? "space"];
  const space = context.repo ? `the ${word} ${context.repo}` : `the ${word}`;
  switch (context.action) {
    case "check-token":
      return "checking the token";
    case "create":
      return `creating ${space}`;
    case "list":
      return `listing the files of ${space}`;
    case "upload":
      return `uploading to ${space}`;
  }
}

/** The hub's own sentence, without the library's "URL: …" trailer (the URL is kept on the error object). */
export function hubMessage(error: HubApiError): string {
  // A hub (or a proxy in front of it) could echo request data; never let anything token-shaped through.
  const message = error.message.replace(/\.\s*URL: .*$/s, "").replace(/hf_[A-Za-z0-9]{6,}/g, "hf_***").trim();
  if (!message || /^Api error with status \d+$/.test(message)) return "";
  return `: ${message.length > 300 ? `${message.slice(0, 300)}…` : message}`;
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === "AbortError" || (error as { code?: string }).code === "ABORT_ERR");
}
