/**
 * Finds a Python that can run the training script: the configured interpreter (train.python) when set, else the
 * first of python3, python (from PATH) and /usr/bin/python3 that imports torch, torchvision and numpy. A pyenv or
 * venv python3 on PATH often lacks torch while the system one has it, hence the fallbacks.
 */
import { CancelledError } from "../../../shared/errors";
import { runPython } from "./run-python";
import { TorchUnavailableError } from "./torch-errors";

/** The interpreter found and what it has. */
export interface TorchPython {
  python: string;
  torch: string;
  torchvision: string;
  /** "cuda", "mps" or "cpu": where the script will train. */
  device: string;
}

const PROBE = [
  "import json, sys",
  "try:",
  "    import numpy, torch, torchvision",
  "except ImportError as e:",
  "    print(json.dumps({'missing': str(e)})); sys.exit(0)",
  "mps = getattr(torch.backends, 'mps', None)",
  "device = 'cuda' if torch.cuda.is_available() else 'mps' if mps is not None and mps.is_available() else 'cpu'",
  "print(json.dumps({'torch': torch.__version__, 'torchvision': torchvision.__version__, 'device': device}))",
].join("\n");

/** Importing torch takes seconds on a busy machine; a minute means something is wrong. */
const PROBE_TIMEOUT_MS = 120_000;
const FALLBACKS = ["python3", "python", "/usr/bin/python3"];

/** The interpreter to use; throws TorchUnavailableError listing what each candidate lacked. */
export async function findTorchPython(params: { configured?: string; env?: NodeJS.ProcessEnv; signal?: AbortSignal }): Promise<TorchPython> {
  const candidates = params.configured ? [params.configured] : FALLBACKS;
  const tried: string[] = [];
  for (const python of candidates) {
    const probed = await probe(python, params);
    if ("found" in probed) return probed.found;
    tried.push(`${python}: ${probed.problem}`);
  }
  const where = params.configured ? "The Python set in train.python" : "No Python with PyTorch was found";
  throw new TorchUnavailableError(`${where} cannot train with the torch engine (${tried.join("; ")}).`);
}

/** Runs the probe in one interpreter. */
async function probe(python: string, params: { env?: NodeJS.ProcessEnv; signal?: AbortSignal }): Promise<{ found: TorchPython } | { problem: string }> {
  const out: string[] = [];
  const err: string[] = [];
  try {
    const exit = await runPython({ python, args: ["-c", PROBE], env: params.env, signal: params.signal, timeoutMs: PROBE_TIMEOUT_MS, onStdout: (line) => out.push(line), onStderr: (line) => err.push(line) });
    const answer = parseLast(out);
    if (exit.code !== 0 || !answer) return { problem: `it failed to start (${err.slice(-1)[0] ?? `exit code ${exit.code}`})` };
    if (typeof answer.missing === "string") return { problem: `it has no ${answer.missing.replace(/^No module named /, "")}` };
    return { found: { python, torch: String(answer.torch), torchvision: String(answer.torchvision), device: String(answer.device) } };
  } catch (error) {
    if (error instanceof CancelledError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    return { problem: code === "ENOENT" ? "not found" : code ? `cannot be started (${code})` : (error as Error).message };
  }
}

/** The last stdout line as JSON, if it is. */
function parseLast(lines: string[]): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(lines[lines.length - 1] ?? "") as unknown;
    return value && typeof value === "object" ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
