/** Errors of the hf-jobs engine: each says what the user can do (a plan, a token, a setting, another engine). */
import { HubApiError } from "@huggingface/hub";
import { describeHubError, hubMessage } from "../../../hub/describe-hub-error";
import { HubError } from "../../../hub/hub-error";
import { tokenHint } from "../../../hub/token-hint";
import { StudioError } from "../../../shared/errors";
import type { Hint, HintPart } from "../../../shared/hint";

/** The engines that train on this machine: flags on the command line, the project file's setting in the editor. */
export const OTHER_ENGINES: HintPart[] = [
  "Or train on this machine with the torch engine (your PyTorch) or the studio engine (no Python)",
  { cliOnly: ": --engine torch or --engine studio" },
  { editorOnly: ': set train.engine in deepfake-studio.json to "torch" or "studio"' },
  ".",
];

/** The Job could not start, failed, timed out, or brought back no model. */
export class HfJobError extends StudioError {
  constructor(message: string, code: "hf-jobs-not-allowed" | "hf-jobs-quota" | "hf-jobs-rejected" | "hf-jobs-failed" | "hf-jobs-timeout" | "hf-jobs-no-model", hint?: Hint, readonly lastLines: string[] = []) {
    super(message, code, hint);
  }
}

/** What the Jobs API answered when starting a Job, in words. */
export function describeJobStartError(error: unknown, namespace: string, flavor: string): Error {
  if (!(error instanceof HubApiError)) return describeHubError(error, { action: "upload" });
  const detail = hubMessage(error);
  switch (error.statusCode) {
    case 401:
      return new HubError(`The Hugging Face Hub rejected the token when starting a Job (401${detail}).`, "hub-token-invalid",
        tokenHint(), 401, error.url);
    case 402:
    case 403:
      return new HfJobError(
        `The Hugging Face Hub will not run a Job for "${namespace}" (${error.statusCode}${detail}). Jobs are available to PRO users and to Team or Enterprise organisations, with a token allowed to start Jobs.`,
        "hf-jobs-not-allowed",
        ["Subscribe at https://huggingface.co/pro, or set train.hfJobs.namespace to an organisation on a Team or Enterprise plan; a fine-grained token needs the permission to start Jobs. ", ...OTHER_ENGINES],
      );
    case 429:
      return new HfJobError(`The Hugging Face Hub refused the Job: too many Jobs at once or the compute quota is used up (429${detail}).`, "hf-jobs-quota",
        ["Wait for your other Jobs to finish (https://huggingface.co/settings/jobs) or check billing (https://huggingface.co/settings/billing). ", ...OTHER_ENGINES]);
    default:
      if (error.statusCode >= 400 && error.statusCode < 500) {
        return new HfJobError(`The Hugging Face Hub refused the Job on "${flavor}" (${error.statusCode}${detail}).`, "hf-jobs-rejected",
          "Check train.hfJobs.flavor (e.g. t4-small, a10g-small; `hf jobs hardware` lists them) and train.hfJobs.image.");
      }
      return describeHubError(error, { action: "upload" });
  }
}
