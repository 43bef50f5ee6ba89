/** Runs a core operation under a cancellable progress notification: token → AbortSignal, onProgress → log + notification. */
import * as vscode from "vscode";
import type { ProgressEvent } from "../core/shared/progress";
import { reportError, type ReportOptions } from "./errors";
import type { StudioLog } from "./log";

/** What a task receives: pass `signal` and `onProgress` straight to the core. */
export interface TaskContext {
  signal: AbortSignal;
  onProgress: (event: ProgressEvent) => void;
  /** Sets the notification's text (for steps the core does not describe itself). */
  report(message: string): void;
}

/** Runs `task` with a notification titled `title`; errors become messages with an action (`report`: see reportError). Returns undefined on failure. */
export async function runTask<T>(log: StudioLog, title: string, task: (context: TaskContext) => Promise<T>, report?: ReportOptions): Promise<T | undefined> {
  log.info(`── ${title}`);
  const started = Date.now();
  try {
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
      const controller = new AbortController();
      const cancel = token.onCancellationRequested(() => {
        log.info(`${title}: cancelling…`);
        controller.abort();
      });
      const percent = new PhasePercent();
      const context: TaskContext = {
        signal: controller.signal,
        onProgress: (event) => {
          const message = log.progress(event);
          if (message !== undefined) progress.report({ message, increment: percent.increment(event) });
        },
        report: (message) => progress.report({ message }),
      };
      return task(context).finally(() => cancel.dispose());
    });
    log.info(`${title}: done in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    return result;
  } catch (error) {
    await reportError(error, log, title, report);
    return undefined;
  }
}

/** Turns per-phase done/total counters into the increments withProgress wants (0..100 per phase). */
class PhasePercent {
  private phase = "";
  private reported = 0;

  increment(event: ProgressEvent): number | undefined {
    if (event.event === "phase") {
      this.phase = event.phase;
      this.reported = 0;
      return undefined;
    }
    if (event.event !== "progress" || !event.total) return undefined;
    if (event.phase !== this.phase) {
      this.phase = event.phase;
      this.reported = 0;
    }
    const target = Math.min(100, (event.done / event.total) * 100);
    const step = target - this.reported;
    if (step <= 0) return undefined;
    this.reported = target;
    return step;
  }
}
