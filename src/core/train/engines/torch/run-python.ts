/**
 * Runs a Python process line by line, in its own process group so Cancel ends it and every child it started
 * (DataLoader workers, compilers): SIGTERM to the group, SIGKILL after a grace period.
 */
import { spawn } from "node:child_process";
import { CancelledError } from "../../../shared/errors";

/** Parameters of runPython. */
export interface RunPythonParams {
  python: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  signal?: AbortSignal;
  /** Called with every complete stdout / stderr line (without the newline). */
  onStdout?: (line: string) => void;
  onStderr?: (line: string) => void;
  /** Kill and reject after this long (probes); default: no limit. */
  timeoutMs?: number;
}

/** How the process ended (a failure to start rejects with the spawn error, ENOENT for a missing interpreter). */
export interface PythonExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const KILL_GRACE_MS = 3000;

/** Starts `python args`, streams its lines, resolves when it exits; rejects with CancelledError on abort. */
export function runPython(params: RunPythonParams): Promise<PythonExit> {
  return new Promise((resolve, reject) => {
    if (params.signal?.aborted) return reject(new CancelledError("training"));
    const group = process.platform !== "win32";
    const child = spawn(params.python, params.args, {
      stdio: ["ignore", "pipe", "pipe"],
      windowsHide: true,
      detached: group,
      cwd: params.cwd,
      env: { ...(params.env ?? process.env), PYTHONUNBUFFERED: "1", PYTHONIOENCODING: "utf-8" },
    });
    let failure: Error | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const kill = (signal: NodeJS.Signals): void => {
      try {
        if (group && child.pid !== undefined) process.kill(-child.pid, signal);
        else child.kill(signal);
      } catch {
        // Already gone.
      }
    };
    const stop = (error: Error): void => {
      failure ??= error;
      kill("SIGTERM");
      killTimer ??= setTimeout(() => kill("SIGKILL"), KILL_GRACE_MS);
    };
    const onAbort = (): void => stop(new CancelledError("training"));
    params.signal?.addEventListener("abort", onAbort, { once: true });
    const timeout = params.timeoutMs ? setTimeout(() => stop(new Error(`${params.python} did not answer within ${Math.round(params.timeoutMs! / 1000)} s`)), params.timeoutMs) : undefined;
    splitLines(child.stdout, params.onStdout);
    splitLines(child.stderr, params.onStderr);
    child.on("error", (error) => {
      failure ??= error;
    });
    child.on("close", (code, signal) => {
      if (timeout) clearTimeout(timeout);
      params.signal?.removeEventListener("abort", onAbort);
      // The group may still hold children of the script (the leader has exited): end them too.
      if (failure) kill("SIGKILL");
      if (killTimer) clearTimeout(killTimer);
      if (failure) reject(failure);
      else resolve({ code, signal });
    });
  });
}

/** Calls `onLine` per complete line of a stream (the last partial line when it ends). */
function splitLines(stream: NodeJS.ReadableStream, onLine: ((line: string) => void) | undefined): void {
  let pending = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    pending += chunk;
    let at: number;
    while ((at = pending.indexOf("\n")) >= 0) {
      onLine?.(pending.slice(0, at).replace(/\r$/, ""));
      pending = pending.slice(at + 1);
    }
  });
  stream.on("end", () => {
    if (pending) onLine?.(pending);
  });
}
