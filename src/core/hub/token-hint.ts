/** The hint under every "this token will not do" error: where to get a token, and how each front end takes it. */
import type { HintPart } from "../shared/hint";

/** `kind` says which token ("with write access" by default); `verb` starts the sentence, or continues one ("create"). */
export function tokenHint(kind = "with write access", verb = "Create"): HintPart[] {
  return [
    `${verb} a token ${kind} at https://huggingface.co/settings/tokens, then `,
    { cliOnly: "set HF_TOKEN to it (or run `huggingface-cli login`)" },
    { editorOnly: "store it with " },
    { step: "set-token" },
    " and try again.",
  ];
}
