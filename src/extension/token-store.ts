/** The Hugging Face token: kept in VS Code's SecretStorage (never in settings, logs or the workspace), else HF_TOKEN & co. */
import * as vscode from "vscode";
import { loadCore } from "./core";

const SECRET_KEY = "deepfakeStudio.huggingFaceToken";

export interface FoundToken {
  token: string;
  /** Where it came from, safe to show: "VS Code secret storage", "HF_TOKEN" or a file path. */
  source: string;
}

/** Reads and writes the token; the value itself never reaches the log. */
export class TokenStore {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  /** The stored token, else the one huggingface_hub would use (HF_TOKEN, the token file). */
  async find(): Promise<FoundToken | undefined> {
    const stored = await this.secrets.get(SECRET_KEY);
    if (stored) return { token: stored, source: "VS Code secret storage" };
    const { findHfToken } = await loadCore();
    return findHfToken({ env: process.env });
  }

  async hasStored(): Promise<boolean> {
    return Boolean(await this.secrets.get(SECRET_KEY));
  }

  async store(token: string): Promise<void> {
    await this.secrets.store(SECRET_KEY, token);
  }

  async clear(): Promise<void> {
    await this.secrets.delete(SECRET_KEY);
  }
}

/** A quick sanity check of what the user pasted (the hub checks it for real on deploy). */
export function validateTokenInput(value: string): string | undefined {
  const token = value.trim();
  if (token === "") return "Paste a token (huggingface.co → Settings → Access Tokens, with write access).";
  if (/\s/.test(token)) return "A token has no spaces.";
  if (!/^hf_[A-Za-z0-9]{10,}$/.test(token)) return "Hugging Face tokens look like hf_… (letters and digits).";
  return undefined;
}
