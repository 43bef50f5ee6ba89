/**
 * A worker thread's side of face-net-pool.ts: onnxruntime-node runs a session on the calling thread, so the face
 * nets get their own threads to use the second core while the main thread decodes, crops and encodes.
 */
import { parentPort } from "node:worker_threads";
import { detectFacesOnnx, type DetectFacesOnnxParams } from "./detect-faces-onnx";

/** A request from the pool: one picture's detection. */
export interface FaceNetRequest {
  id: number;
  params: DetectFacesOnnxParams;
}

parentPort?.on("message", (request: FaceNetRequest) => {
  detectFacesOnnx(request.params).then(
    (faces) => parentPort!.postMessage({ id: request.id, faces }),
    (error: unknown) => parentPort!.postMessage({ id: request.id, error: { message: (error as Error).message, code: (error as { code?: string }).code, hint: (error as { hint?: string }).hint } }),
  );
});
