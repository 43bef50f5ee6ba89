/**
 * Which integer kernels of ONNX Runtime's CPU provider pay on this CPU, measured before the int8 SSD was built:
 * the SSD window (512×384) as face-api's float32 graph, with QLinearConv (ssd-int8.ts, 7- and 8-bit weights), and
 * with ConvInteger on its pointwise layers (dynamic uint8 quantisation of each input by DynamicQuantizeLinear, uint8
 * weights around 128, the per-channel scale and bias applied in float32 after; depthwise layers stay float32, as
 * ConvInteger has no depthwise kernel). CPU ms per call, one intra-op thread, alternated 10 times.
 * Usage: node out/bench/ssd-int8-kernels.js
 */
import * as os from "node:os";
import { buildSsdGraph, emitSsdLayers, encodeFaceNet, SSD_OUTPUTS } from "../src/core/face-nets/build-face-net-graphs";
import { FaceNetLayers } from "../src/core/face-nets/face-net-layers";
import { faceNetWeights } from "../src/core/face-nets/face-net-sessions";
import type { FaceApiWeight } from "../src/core/face-nets/read-face-api-weights";
import { buildSsdInt8Graph, quantiseWeights } from "../src/core/face-nets/ssd-int8";
import { createOnnxSession } from "../src/core/onnx/onnx-session";

/** The SSD with its pointwise convolutions as DynamicQuantizeLinear → ConvInteger → float32 scale, bias and ReLU6. */
function buildSsdConvIntegerGraph(weights: Map<string, FaceApiWeight>): Uint8Array {
  const net = new FaceNetLayers(weights);
  const { builder } = net;
  const weightZero = builder.addInteger("w_zero_point", Uint8Array.of(128), []);
  emitSsdLayers(net, "image", (x, conv) => {
    if (conv.group !== 1 || !conv.relu6) {
      const y = net.convNode(x, conv.weights, conv.dims, conv.group, { stride: conv.stride, bias: conv.bias });
      return conv.relu6 ? net.clip(y, 0, 6) : y;
    }
    const [value, scale, zero] = builder.addMultiOutputNode("DynamicQuantizeLinear", [x], ["x_q", "x_scale", "x_zero_point"]);
    const channels = conv.dims[0];
    // The same per-channel weights as the QLinearConv graph's 8-bit ones, moved to uint8 around 128.
    const { data, scales } = quantiseWeights(conv, 127);
    const q = Uint8Array.from(data, (w) => w + 128);
    const sums = builder.addNode("ConvInteger", [value, builder.addInteger("w", q, conv.dims), zero, weightZero], "conv_integer", {
      kernel_shape: { ints: conv.dims.slice(2) }, strides: { ints: [conv.stride, conv.stride] }, auto_pad: { s: "SAME_UPPER" },
    });
    const scaled = net.op("Mul", [net.op("Mul", [net.op("Cast", [sums], { to: { i: 1 } }), scale]), builder.addFloat("w_scale", scales, [channels, 1, 1]).name]);
    return net.clip(net.op("Add", [scaled, builder.addFloat("b", Float32Array.from(conv.bias), [channels, 1, 1]).name]), 0, 6);
  });
  return encodeFaceNet(net, "ssd_conv_integer", ["height", "width"], SSD_OUTPUTS);
}

async function main(): Promise<void> {
  const load = os.loadavg()[0];
  const weights = await faceNetWeights("ssd");
  const graphs = { float32: buildSsdGraph(weights), qlinearConv7Bit: buildSsdInt8Graph(weights), qlinearConv8Bit: buildSsdInt8Graph(weights, { weightLevels: 127 }), convInteger: buildSsdConvIntegerGraph(weights) };
  const ort = await import("onnxruntime-node");
  const sessions = await Promise.all(Object.values(graphs).map((graph) => createOnnxSession(graph, { threads: 1 })));
  const input = new Float32Array(3 * 384 * 512).map((_, i) => Math.sin(i) * 0.9);
  const totals = sessions.map(() => 0);
  for (let round = 0; round < 11; round++) {
    for (const [i, { session }] of sessions.entries()) {
      const cpu = process.cpuUsage();
      await session.run({ image: new ort.Tensor("float32", input, [1, 3, 384, 512]) });
      const used = process.cpuUsage(cpu);
      if (round > 0) totals[i] += (used.user + used.system) / 1000 / 10;
    }
  }
  const cpuMs = Object.fromEntries(Object.keys(graphs).map((name, i) => [name, Math.round(totals[i] * 10) / 10]));
  console.log(JSON.stringify({ load: { before: load, after: os.loadavg()[0] }, cpuMsPerCall: cpuMs }, null, 2));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
