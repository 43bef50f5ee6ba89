/** Runs ffprobe-style programs to completion with a bounded output, a timeout and cancellation. */
import { spawn } from "node:child_process";
import { CancelledError } from "../shared/errors";

/** What a finished program left: exit code (null when killed), stdout and the tail of stderr. */
export interface ProgramOutput {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Parameters of runProgram. */
export interface RunProgramParams {
  program: string;
  args: string[];
  signal?: AbortSignal;
  /** Killed after this long (default 60 s): a hung probe must not hang the check. */
  timeoutMs?: number;
  /** stdout beyond this many bytes is an error (default 16 MiB). */
  maxStdoutBytes?: number;
}

const STDERR_KEEP = 64 * 1024;

/** Runs `program args`; resolves with its output whatever the exit code; rejects on cancellation or a spawn failure. */
export function runProgram(params: RunProgramParams): Promise<ProgramOutput> {
  const maxStdout = params.maxStdoutBytes ?? 16 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    if (params.signal?.aborted) return reject(new CancelledError("check"));
    const child = spawn(params.program, params.args, { stdio: ["ignore", "pipe", "pipe"], windowsHide: true });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = "";
    let failure: Error | undefined;
    const stop = (error: Error): void => {
      failure ??= error;
      child.kill("SIGKILL");
    };
    const onAbort = (): void => stop(new CancelledError("check"));
    params.signal?.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(() => stop(new Error(`${params.program} did not finish within ${Math.round((params.timeoutMs ?? 60_000) / 1000)} s.`)), params.timeoutMs ?? 60_000);
    child.stdout.on("data", (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > maxStdout) stop(new Error(`${params.program} wrote more than ${maxStdout} bytes.`));
      else out.push(chunk);
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      err = (err + chunk).slice(-STDERR_KEEP);
    });
    child.on("error", (error) => stop(error));
    child.on("close", (code) => {
      clearTimeout(timer);
      params.signal?.removeEventListener("abort", onAbort);
      if (failure) reject(failure);
      else resolve({ code, stdout: Buffer.concat(out).toString("utf8"), stderr: err });
    });
  });
}
