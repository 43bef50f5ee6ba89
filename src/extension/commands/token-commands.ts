/** Set Hugging Face Token and Sign Out: the token lives in SecretStorage only. */
import * as vscode from "vscode";
import { reportError } from "../errors";
import type { Studio } from "../studio";
import { validateTokenInput } from "../token-store";

/** Asks for a token (password box) and stores it in VS Code's secret storage. */
export async function setToken(studio: Studio): Promise<void> {
  try {
    const value = await vscode.window.showInputBox({
      title: "Hugging Face access token",
      prompt: "A token with write access (huggingface.co → Settings → Access Tokens). Stored in VS Code's secret storage, never in settings or files.",
      password: true,
      ignoreFocusOut: true,
      placeHolder: "hf_…",
      validateInput: validateTokenInput,
    });
    if (value === undefined) return;
    await studio.tokens.store(value.trim());
    studio.log.info("Hugging Face token saved in VS Code's secret storage.");
    void vscode.window.showInformationMessage("Hugging Face token saved in VS Code's secret storage.");
  } catch (error) {
    await reportError(error, studio.log, "Set Hugging Face Token");
  }
}

/** Forgets the stored token (HF_TOKEN or the huggingface token file, if any, stay the user's business). */
export async function signOut(studio: Studio): Promise<void> {
  try {
    const had = await studio.tokens.hasStored();
    await studio.tokens.clear();
    const still = await studio.tokens.find();
    const rest = still ? ` A token from ${still.source} is still found; remove it there to stop using it.` : "";
    studio.log.info(`Signed out${had ? "" : " (no token was stored)"}.${rest}`);
    void vscode.window.showInformationMessage(`${had ? "Signed out: the stored Hugging Face token was removed." : "No Hugging Face token was stored."}${rest}`);
  } catch (error) {
    await reportError(error, studio.log, "Sign Out");
  }
}

/** Where the Brave Search API key lives: VS Code's secret storage only. */
export const BRAVE_KEY_SECRET = "deepfakeStudio.braveApiKey";

/** Asks for a Brave Search API key (password box) for the "brave" engine; an empty answer removes the stored one. */
export async function setBraveKey(studio: Studio): Promise<void> {
  try {
    const value = await vscode.window.showInputBox({
      title: "Brave Search API key",
      prompt: 'For the "brave" search engine (add it to search.engines in deepfake-studio.json). Stored in VS Code\'s secret storage, never in settings or files. Leave empty to remove the stored key.',
      password: true,
      ignoreFocusOut: true,
      validateInput: (input) => (/\s/.test(input.trim()) ? "A key has no spaces." : undefined),
    });
    if (value === undefined) return;
    if (value.trim() === "") await studio.context.secrets.delete(BRAVE_KEY_SECRET);
    else await studio.context.secrets.store(BRAVE_KEY_SECRET, value.trim());
    const said = value.trim() === "" ? "Brave Search API key removed." : "Brave Search API key saved in VS Code's secret storage.";
    studio.log.info(said);
    void vscode.window.showInformationMessage(said);
  } catch (error) {
    await reportError(error, studio.log, "Set Brave Search API Key");
  }
}
