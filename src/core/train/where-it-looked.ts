/**
 * After training: where the model looks on the validation pictures. Their class activation maps (of the label the
 * head predicted) come from the same ONNX graph `export` writes, and each map's positive mass is measured inside the
 * face box. The face's place is known when the run trains on the studio's face crops (faceCrop, or the inner-face
 * poolings that assume them); otherwise nothing is measured.
 */
import { isFacePooling } from "../backbone/known-backbones";
import { classMapAt } from "../cam/resize-map";
import { LOOKS_ELSEWHERE_WARNING, massShareInside, MOSTLY_ELSEWHERE_SHARE, STUDIO_CROP_FACE_BOX } from "../cam/map-mass";
import { CAM_COVERAGE_NOTE } from "../cam/cam-parts";
import type { LoadedBackbone } from "../backbone/load-backbone";
import { loadRunBackbone } from "../export/load-run-backbone";
import { convertLayersModel } from "../onnx/convert-layers-model";
import { createOnnxSession, runOnnx } from "../onnx/onnx-session";
import { throwIfAborted } from "../shared/errors";
import type { OperationOptions } from "../shared/progress";
import { promises as fs } from "node:fs";
import { decodeTrainingImage } from "./decode-training-image";
import type { PreparedItem } from "./prepare-training-data";
import type { RunHead, WhereItLooked } from "./run-files";

/** A sample this size gives the share to about ±0.03; more only costs time. */
const MAX_PICTURES = 200;
const BATCH = 16;

export interface WhereItLookedParams extends OperationOptions {
  head: RunHead;
  /** The data folder's validation pictures with the label the head predicted for each. */
  pictures: Array<{ item: PreparedItem; predicted: number }>;
  env?: NodeJS.ProcessEnv;
}

/** Whether the run's pictures are face crops framed by the studio's recipe, so the face's place in them is known. */
export function facesKnown(head: RunHead): boolean {
  return head.preprocess.faceCrop !== undefined || head.backbone.taps.some((tap) => tap.pooling.some(isFacePooling));
}

/** Measures the maps; undefined when the faces' place is unknown or there is no validation picture. */
export async function measureWhereItLooked(params: WhereItLookedParams): Promise<WhereItLooked | undefined> {
  const { head, signal } = params;
  const pictures = params.pictures.filter(({ item }) => !item.synthetic).slice(0, MAX_PICTURES);
  if (!facesKnown(head) || pictures.length === 0) return undefined;
  params.onProgress?.({ event: "phase", phase: "where-it-looked", message: `Measuring where the model looks on ${pictures.length} validation picture(s)` });
  const backbone = await loadRunBackbone({ head, env: params.env, signal });
  const [height, width] = head.preprocess.size;
  const shares: number[] = [];
  try {
    const session = await createOnnxSession(await convertRunCamGraph(head, backbone));
    try {
      for (let start = 0; start < pictures.length; start += BATCH) {
        throwIfAborted(signal, "training");
        const chunk = pictures.slice(start, start + BATCH);
        const inputs = await Promise.all(chunk.map(async ({ item }) => (await decodeTrainingImage({ bytes: await fs.readFile(item.file), contentSha256: item.sha256, preprocess: head.preprocess, views: [0] }))[0]));
        const batch = new Float32Array(chunk.length * height * width * 3);
        inputs.forEach((input, i) => batch.set(input, i * input.length));
        const { cam, camShape } = await runOnnx(session, batch, chunk.length, height, width, { outputs: ["cam"] });
        if (!cam || !camShape) return undefined;
        chunk.forEach(({ predicted }, slot) => {
          const share = massShareInside(classMapAt(cam, camShape, slot, predicted, height, width), height, width, STUDIO_CROP_FACE_BOX);
          if (share !== undefined) shares.push(share);
        });
      }
    } finally {
      await session.release();
    }
  } finally {
    backbone.dispose();
  }
  if (shares.length === 0) return undefined;
  return summariseShares(shares, head);
}

/**
 * The run's backbone and head as an ONNX graph with the `cam` output, as `export` converts them. The face contrasts
 * and blending statistics have no single place in the picture, so the map's graph reads the backbone's columns only.
 */
export async function convertRunCamGraph(head: RunHead, backbone: LoadedBackbone): Promise<Uint8Array> {
  const [height, width] = head.preprocess.size;
  const classes = head.labels.length;
  const backboneFeatures = head.featureLength - (head.preprocess.blendStatistics?.count ?? 0) - (head.preprocess.faceContrast?.count ?? 0);
  return convertLayersModel({
    model: backbone.model,
    outputs: head.backbone.taps.map((tap) => ({ layerName: tap.layer, pooling: [...tap.pooling] })),
    input: { height, width, ...head.preprocess.scaling },
    head: {
      mean: Float32Array.from(head.mean.slice(0, backboneFeatures)),
      std: Float32Array.from(head.std.slice(0, backboneFeatures)),
      weights: Float32Array.from(head.weights.slice(0, backboneFeatures * classes)),
      bias: Float32Array.from(head.bias),
      labels: head.labels,
    },
    cam: true,
  });
}

/** The report from per-picture shares. */
export function summariseShares(shares: readonly number[], head: Pick<RunHead, "preprocess">): WhereItLooked {
  const faceShare = Math.round((1000 * shares.reduce((a, b) => a + b, 0)) / shares.length) / 1000;
  const note = `Share of each validation picture's activation map (the predicted label's, its positive part) inside the face box of the studio's face crops. ${head.preprocess.blendStatistics || head.preprocess.faceContrast ? CAM_COVERAGE_NOTE : ""}`.trim();
  return {
    pictures: shares.length,
    faceShare,
    mostlyElsewhere: shares.filter((share) => share < MOSTLY_ELSEWHERE_SHARE).length,
    ...(faceShare < MOSTLY_ELSEWHERE_SHARE ? { warning: LOOKS_ELSEWHERE_WARNING } : {}),
    note,
  };
}
