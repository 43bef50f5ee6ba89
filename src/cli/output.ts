/** How the CLI shows errors, progress and tables. */
import { InvalidArgumentError } from "commander";
import { describeUnexpectedFsError, StudioError } from "../core/shared/errors";
import type { ProgressEvent } from "../core/shared/progress";

/** Prints an error without a stack trace when it is one of ours; returns the exit code. */
export function reportError(thrown: unknown): number {
  const error = describeUnexpectedFsError(thrown);
  if (error instanceof StudioError) {
    process.stderr.write(`Error: ${error.message}\n`);
    if (error.hint) process.stderr.write(`  ${error.hint}\n`);
    if (process.env.DEEPFAKE_STUDIO_DEBUG && thrown !== error && thrown instanceof Error) process.stderr.write(`${thrown.stack}\n`);
    return error.code === "cancelled" ? 130 : 1;
  }
  const message = error instanceof Error ? (process.env.DEEPFAKE_STUDIO_DEBUG ? error.stack : error.message) : String(error);
  process.stderr.write(`Error: ${message}\n`);
  return 1;
}

/** Progress printer for a terminal: phases and warnings on their own line, counters throttled. */
export function printProgress(stream: NodeJS.WritableStream = process.stderr): (event: ProgressEvent) => void {
  let lastCounter = 0;
  return (event) => {
    switch (event.event) {
      case "phase":
        stream.write(`${event.message}\n`);
        break;
      case "progress": {
        const now = Date.now();
        const finished = event.total !== undefined && event.done >= event.total;
        if (!finished && now - lastCounter < 500) return;
        lastCounter = now;
        const total = event.total !== undefined ? `/${event.total}` : "";
        stream.write(`  ${event.phase}: ${event.done}${total}${event.message ? ` ${event.message}` : ""}\n`);
        break;
      }
      case "warning":
        stream.write(`  warning: ${event.message}\n`);
        break;
      case "log":
        stream.write(`  ${event.message}\n`);
        break;
      default: {
        const unreachable: never = event;
        void unreachable;
      }
    }
  };
}

/** Renders rows as a fixed-width text table (fastai prints its epoch table this way). */
export function formatTable(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? "").length)));
  return cells.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd()).join("\n");
}

/** Commander option parser for numbers: "0.05" → 0.05; anything else is refused with the value quoted. */
export function parseNumber(value: string): number {
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isFinite(parsed)) throw new InvalidArgumentError(`expected a number, got "${value}"`);
  return parsed;
}
