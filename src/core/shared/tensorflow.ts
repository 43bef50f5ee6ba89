/** One place that starts TensorFlow.js: tfjs-node when it happens to be installed, else the WASM backend. */
import type * as Tfjs from "@tensorflow/tfjs";

export type Tf = typeof Tfjs;

let loading: Promise<Tf> | undefined;

/** Loads tfjs once (lazily, so activation and the CLI's other commands stay fast) and picks the fastest backend. */
export function loadTensorflow(): Promise<Tf> {
  loading ??= initialise();
  return loading;
}

async function initialise(): Promise<Tf> {
  // tfjs-node cannot install on many machines (it downloads libtensorflow); it is only an optional speed-up.
  try {
    const tfNode = require("@tensorflow/tfjs-node") as Tf;
    await tfNode.ready();
    return tfNode;
  } catch {
    // fall through to WASM
  }
  const tf = require("@tensorflow/tfjs") as Tf;
  require("@tensorflow/tfjs-backend-wasm");
  if (!(await tf.setBackend("wasm"))) await tf.setBackend("cpu");
  await tf.ready();
  return tf;
}
