/** Progress events that long core operations report; the CLI prints them, the extension feeds withProgress. */
export type ProgressEvent =
  | { event: "phase"; phase: string; message: string }
  | { event: "progress"; phase: string; done: number; total?: number; message?: string }
  | { event: "warning"; message: string }
  | { event: "log"; message: string };

export type ProgressListener = (event: ProgressEvent) => void;

/** Options every long-running core operation accepts. */
export interface OperationOptions {
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}
