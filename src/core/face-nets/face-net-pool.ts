/**
 * detectFacesOnnx on worker threads. onnxruntime-node runs a session on the thread that calls it, so on the main
 * thread the face nets (≈ 60 % of a face crop's CPU) took turns with decoding, cropping and JPEG encoding and used one
 * core. Up to two workers (one per core, at most two: the nets are the larger part, the main thread keeps the rest)
 * each hold their own sessions; a picture goes to the least busy one. Idle workers do not keep the process alive.
 * Where the worker script is missing or a worker cannot start, detection runs on the calling thread as before.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { DetectedFace } from "./detect-faces";
import { StudioError } from "../shared/errors";
import { detectFacesOnnx, ssdInt8Default, type DetectFacesOnnxParams } from "./detect-faces-onnx";
import type { FaceNetRequest } from "./face-net-worker";

interface Pending {
  resolve: (faces: DetectedFace[]) => void;
  reject: (error: Error) => void;
}

interface PoolWorker {
  worker: Worker;
  pending: Map<number, Pending>;
}

type Reply = { id: number; faces: DetectedFace[] } | { id: number; error: { message: string; code?: string; hint?: string } };

/** Beside this file in both builds: out/src/core/face-nets (tsc) and out/dist (esbuild's face-net-worker entry). */
const WORKER_FILE = path.join(__dirname, "face-net-worker.js");

const DEFAULT_WORKERS = Math.min(2, availableParallelism());
let workerLimit = DEFAULT_WORKERS;
const workers: PoolWorker[] = [];
let nextId = 0;

/** How many worker threads detect faces (0: on the calling thread; none given: the default); for benchmarks that compare. */
export function setFaceNetWorkers(count = DEFAULT_WORKERS): void {
  workerLimit = Math.max(0, Math.floor(count));
  for (const extra of workers.splice(workerLimit)) {
    if (extra.pending.size === 0) void extra.worker.terminate();
    else workers.push(extra);
  }
}

/** Worker threads started and alive (the test checks the pool is really used). */
export function runningFaceNetWorkers(): number {
  return workers.length;
}

/** detectFacesOnnx's answer, computed on a worker thread when one can be used. */
export async function detectFacesPooled(params: DetectFacesOnnxParams): Promise<DetectedFace[]> {
  const chosen = pickWorker();
  if (!chosen) return detectFacesOnnx(params);
  const id = nextId++;
  return new Promise<DetectedFace[]>((resolve, reject) => {
    chosen.pending.set(id, { resolve, reject });
    if (chosen.pending.size === 1) chosen.worker.ref();
    // A worker's module state does not follow setSsdInt8Default on this thread: the request carries the choice.
    const request: FaceNetRequest = { id, params: { ...params, ssdInt8: params.ssdInt8 ?? ssdInt8Default() } };
    chosen.worker.postMessage(request);
  });
}

function pickWorker(): PoolWorker | undefined {
  if (workerLimit === 0 || !existsSync(WORKER_FILE)) return undefined;
  const idle = workers.find((w) => w.pending.size === 0);
  if (idle) return idle;
  if (workers.length < workerLimit) {
    const started = startWorker();
    if (started) return started;
  }
  return workers.reduce<PoolWorker | undefined>((best, w) => (!best || w.pending.size < best.pending.size ? w : best), undefined);
}

function startWorker(): PoolWorker | undefined {
  let worker: Worker;
  try {
    worker = new Worker(WORKER_FILE);
  } catch {
    return undefined;
  }
  const entry: PoolWorker = { worker, pending: new Map() };
  worker.unref();
  worker.on("message", (reply: Reply) => {
    const waiting = entry.pending.get(reply.id);
    if (!waiting) return;
    entry.pending.delete(reply.id);
    if (entry.pending.size === 0) worker.unref();
    if ("faces" in reply) waiting.resolve(reply.faces);
    else waiting.reject(new StudioError(reply.error.message, reply.error.code ?? "face-net-failed", reply.error.hint));
  });
  const fail = (why: string) => {
    const index = workers.indexOf(entry);
    if (index >= 0) workers.splice(index, 1);
    for (const waiting of entry.pending.values()) {
      waiting.reject(new StudioError(`Face detection stopped: its worker thread ${why}.`, "face-net-failed", "Run the command again; if it happens again, reinstall the studio's packages (`npm install`)."));
    }
    entry.pending.clear();
  };
  worker.on("error", (error) => fail(`failed (${error.message})`));
  worker.on("exit", (code) => fail(`ended (exit code ${code})`));
  workers.push(entry);
  return entry;
}
