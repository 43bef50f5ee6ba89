/**
 * Follows a running Hugging Face Job until it ends: its log as server-sent events (reconnecting when the stream is
 * cut, without repeating lines the hub sends again), and its status polled alongside. Cancel (or losing the hub)
 * cancels the Job on the hub before giving up, so nothing keeps running (and billing) in the background.
 */
import { cancelJob, getJob, streamJobLogs } from "@huggingface/hub";

/** The Job as the hub describes it. */
export type ApiJob = Awaited<ReturnType<typeof getJob>>;
import { CancelledError } from "../../../shared/errors";
import { sleep } from "../../../shared/sleep";

/** Stages after which a Job never runs again. */
const FINAL_STAGES: ReadonlySet<string> = new Set(["COMPLETED", "CANCELED", "ERROR", "DELETED"]);
/** After the Job ends, how long the log stream may take to deliver its last lines. */
const LOG_GRACE_MS = 10_000;

/** Parameters of followHfJob. */
export interface FollowHfJobParams {
  namespace: string;
  jobId: string;
  accessToken: string;
  hubUrl: string;
  /** Answers read whole, with retries (status, cancel). */
  fetch: typeof fetch;
  /** Answers streamed (the logs). */
  stream: typeof fetch;
  /** A fetch still usable after `signal` fired, to cancel the Job. */
  cancelFetch: typeof fetch;
  /** Status poll interval (default 5 s). */
  pollMs?: number;
  signal?: AbortSignal;
  onLine: (line: string) => void;
}

/** Resolves with the Job as it ended (any final stage); rejects with CancelledError after cancelling it on abort. */
export async function followHfJob(params: FollowHfJobParams): Promise<ApiJob> {
  const credentials = { accessToken: params.accessToken, hubUrl: params.hubUrl, namespace: params.namespace, jobId: params.jobId };
  const logs = new AbortController();
  const onAbort = () => logs.abort();
  params.signal?.addEventListener("abort", onAbort, { once: true });
  let ended: ApiJob | undefined;
  const reading = readLogs(params, credentials, logs.signal, () => ended !== undefined);
  try {
    while (!ended) {
      await sleep(params.pollMs ?? 5000, params.signal);
      const job = await getJob({ ...credentials, fetch: params.fetch });
      if (FINAL_STAGES.has(job.status.stage)) ended = job;
    }
    await Promise.race([reading, sleep(LOG_GRACE_MS)]);
    return ended;
  } catch (error) {
    // Cancelled, or the studio lost track of it (the hub stopped answering): nothing would collect its model, so it
    // must not go on running, and billing, on the hub.
    await cancelJob({ ...credentials, fetch: params.cancelFetch }).catch(() => undefined);
    if (params.signal?.aborted) throw new CancelledError("training");
    throw error;
  } finally {
    params.signal?.removeEventListener("abort", onAbort);
    logs.abort();
    await reading;
  }
}

/** Reads the log stream until the Job has ended and the stream closed; never rejects. */
async function readLogs(params: FollowHfJobParams, credentials: { accessToken: string; hubUrl: string; namespace: string; jobId: string }, signal: AbortSignal, ended: () => boolean): Promise<void> {
  // A reconnection may replay the log from the start: each (time, text) is passed on once per occurrence.
  const seen = new Map<string, number>();
  while (!signal.aborted) {
    const counts = new Map<string, number>();
    try {
      const fetch = ((input: RequestInfo | URL, init?: RequestInit) => params.stream(input, { ...init, signal })) as typeof globalThis.fetch;
      for await (const entry of streamJobLogs({ ...credentials, fetch })) {
        const key = `${entry.timestamp.getTime()}|${entry.message}`;
        const count = (counts.get(key) ?? 0) + 1;
        counts.set(key, count);
        if (count <= (seen.get(key) ?? 0)) continue;
        seen.set(key, count);
        for (const line of String(entry.message ?? "").replace(/\r?\n$/, "").split(/\r?\n/)) params.onLine(line);
      }
    } catch {
      // Cut, timed out, or not there yet: the status poll decides whether the Job is over.
    }
    if (ended() || signal.aborted) return;
    await sleep(Math.min(params.pollMs ?? 5000, 2000), signal).catch(() => undefined);
  }
}
