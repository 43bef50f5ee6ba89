/** Emits a Keras activation function (by its tfjs name) as ONNX nodes. */
import type { EmitContext, OnnxValue } from "./emit-context";

/** Activation names this exporter understands, as tfjs serialises them. */
export const supportedActivations = [
  "linear", "relu", "relu6", "elu", "selu", "sigmoid", "hardSigmoid", "tanh", "softmax", "softplus", "softsign", "swish", "mish",
] as const;

/** Applies `activation` to `value` and returns the result (the same value for 'linear'). */
export function applyActivation(ctx: EmitContext, value: OnnxValue, activation: string): OnnxValue {
  const { builder } = ctx;
  const out = `${ctx.node.name}/${activation}`;
  const unary = (op: string, attributes = {}) => ({ name: builder.addNode(op, [value.name], out, attributes), shape: value.shape });
  switch (activation) {
    case "linear":
      return value;
    case "relu":
      return unary("Relu");
    case "relu6":
      return clip(ctx, value, 0, 6, out);
    case "elu":
      return unary("Elu", { alpha: { f: 1 } });
    case "selu":
      // ONNX's default alpha/gamma are the SELU constants tfjs uses.
      return unary("Selu");
    case "sigmoid":
      return unary("Sigmoid");
    case "hardSigmoid":
      // tfjs: clip(0.2 x + 0.5, 0, 1), which is ONNX HardSigmoid with its default alpha and beta.
      return unary("HardSigmoid", { alpha: { f: 0.2 }, beta: { f: 0.5 } });
    case "tanh":
      return unary("Tanh");
    case "softmax":
      // Keras softmax is over the last (channel) axis; opset 13 Softmax normalises one axis, channels are axis 1 in NCHW and in [N, F].
      return unary("Softmax", { axis: { i: 1 } });
    case "softplus":
      return unary("Softplus");
    case "softsign":
      return unary("Softsign");
    case "swish":
      return { name: builder.addNode("Mul", [value.name, builder.addNode("Sigmoid", [value.name], `${out}/sigmoid`)], out), shape: value.shape };
    case "mish": {
      const softplus = builder.addNode("Softplus", [value.name], `${out}/softplus`);
      return { name: builder.addNode("Mul", [value.name, builder.addNode("Tanh", [softplus], `${out}/tanh`)], out), shape: value.shape };
    }
    default:
      return ctx.fail(`uses activation '${activation}', which the ONNX exporter does not support.`,
        `Supported activations: ${supportedActivations.join(", ")}.`);
  }
}

/** Clip(value, min, max); opset 11+ takes the bounds as scalar inputs, which ORT can fuse into the preceding Conv. */
export function clip(ctx: EmitContext, value: OnnxValue, min: number, max: number, out: string): OnnxValue {
  const { builder } = ctx;
  return { name: builder.addNode("Clip", [value.name, builder.floatScalar(min), builder.floatScalar(max)], out), shape: value.shape };
}
