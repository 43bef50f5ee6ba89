/** The "Deepfake Studio" output channel: a detailed log of every command, fed by core's onProgress events. */
import * as vscode from "vscode";
import type { ProgressEvent } from "../core/shared/progress";

/** Wraps the log output channel; counters are throttled so a 400-image gather does not flood it. */
export class StudioLog implements vscode.Disposable {
  readonly channel: vscode.LogOutputChannel;
  private lastCounter = 0;

  constructor() {
    this.channel = vscode.window.createOutputChannel("Deepfake Studio", { log: true });
  }

  info(message: string): void {
    this.channel.info(message);
  }

  warn(message: string): void {
    this.channel.warn(message);
  }

  error(message: string): void {
    this.channel.error(message);
  }

  show(): void {
    this.channel.show(true);
  }

  /** Writes one core progress event; returns the short text for a progress notification. */
  progress(event: ProgressEvent): string | undefined {
    switch (event.event) {
      case "phase":
        this.channel.info(event.message);
        return event.message;
      case "progress": {
        const text = `${event.phase}: ${event.done}${event.total !== undefined ? `/${event.total}` : ""}${event.message ? ` ${event.message}` : ""}`;
        const finished = event.total !== undefined && event.done >= event.total;
        const now = Date.now();
        if (finished || now - this.lastCounter >= 1000) {
          this.lastCounter = now;
          this.channel.info(`  ${text}`);
        }
        return text;
      }
      case "warning":
        this.channel.warn(event.message);
        return undefined;
      case "log":
        this.channel.info(`  ${event.message}`);
        return undefined;
      default: {
        const unreachable: never = event;
        return unreachable;
      }
    }
  }

  dispose(): void {
    this.channel.dispose();
  }
}
