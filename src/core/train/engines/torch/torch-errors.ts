/** Errors of the PyTorch engine; each says what to install or fix. */
import { StudioError } from "../../../shared/errors";
import type { Hint, HintPart } from "../../../shared/hint";

/** "the studio engine", with the flag on the command line and the setting in the editor. */
export const STUDIO_ENGINE_HINT: HintPart[] = ["the studio engine", { cliOnly: " (--engine studio)" }, { editorOnly: ' (train.engine "studio" in deepfake-studio.json)' }];

/** The install line every "no PyTorch" message ends with. */
export const TORCH_INSTALL_HINT: HintPart[] = [
  "Install PyTorch: pip install torch torchvision (on Debian/Ubuntu: apt install python3-torch python3-torchvision), or set train.python in deepfake-studio.json to an interpreter that has them. Or train with ",
  ...STUDIO_ENGINE_HINT,
  ", which needs no Python.",
];

/** No usable Python with torch + torchvision + numpy was found. */
export class TorchUnavailableError extends StudioError {
  constructor(message: string) {
    super(message, "torch-unavailable", TORCH_INSTALL_HINT);
  }
}

/** The training script failed; the message carries its last stderr lines. */
export class TorchScriptError extends StudioError {
  constructor(message: string, readonly lastLines: string[], hint?: Hint) {
    super(message, "torch-script-failed", hint);
  }
}

/** The script finished but its model.onnx breaks the export contract (or cannot be run). */
export class TorchModelRejectedError extends StudioError {
  constructor(message: string) {
    super(message, "torch-model-rejected", ["The run was not kept. Re-run the script from its folder by hand to inspect it, or train with ", ...STUDIO_ENGINE_HINT, "."]);
  }
}
