/**
 * Finds a Hugging Face access token where huggingface_hub and `huggingface-cli login` keep it, so a user who
 * logged in once with the official tools needs nothing else. The token itself is never logged: callers get
 * `source` (a variable name or a file path) to mention instead.
 */
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface FoundHfToken {
  token: string;
  /** Where it came from, safe to print: "HF_TOKEN" or a file path. */
  source: string;
}

/** Token files are a single line; anything much larger is not a token file. */
const MAX_TOKEN_FILE_BYTES = 4096;

/**
 * Order (the same as huggingface_hub): $HF_TOKEN, then the legacy $HUGGING_FACE_HUB_TOKEN, then the file
 * $HF_TOKEN_PATH, else $HF_HOME/token, else $XDG_CACHE_HOME/huggingface/token, else ~/.cache/huggingface/token.
 * Returns undefined when there is none; empty values count as none.
 */
export async function findHfToken(params: { env?: NodeJS.ProcessEnv; homeDir?: string } = {}): Promise<FoundHfToken | undefined> {
  const env = params.env ?? process.env;
  for (const name of ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"] as const) {
    const value = env[name]?.trim();
    if (value) return { token: value, source: name };
  }
  const file = tokenFile(env, params.homeDir ?? os.homedir());
  const token = await readTokenFile(file);
  return token ? { token, source: file } : undefined;
}

/** The one file huggingface_hub would read (it does not fall back from HF_HOME to ~/.cache either). */
function tokenFile(env: NodeJS.ProcessEnv, homeDir: string): string {
  if (env.HF_TOKEN_PATH?.trim()) return expandHome(env.HF_TOKEN_PATH.trim(), homeDir);
  if (env.HF_HOME?.trim()) return path.join(expandHome(env.HF_HOME.trim(), homeDir), "token");
  const cache = env.XDG_CACHE_HOME?.trim() ? expandHome(env.XDG_CACHE_HOME.trim(), homeDir) : path.join(homeDir, ".cache");
  return path.join(cache, "huggingface", "token");
}

function expandHome(value: string, homeDir: string): string {
  return value === "~" || value.startsWith("~/") ? path.join(homeDir, value.slice(1)) : value;
}

/** The file's first non-empty line, or undefined when the file is missing, unreadable or empty. */
async function readTokenFile(file: string): Promise<string | undefined> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile() || stat.size > MAX_TOKEN_FILE_BYTES) return undefined;
    const text = await fs.readFile(file, "utf8");
    return text.split(/\r?\n/).map((line) => line.trim()).find((line) => line !== "");
  } catch {
    return undefined;
  }
}
