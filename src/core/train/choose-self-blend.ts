/**
 * train.selfBlend left unset on a face-crop project: self-blends are added where they help. They are there for fakes
 * that show other people (face identity alone then tells the classes apart, and a model learns who is pictured); where
 * the fakes already keep the person's identity, adding them lowered balanced accuracy on same-person swaps of unseen
 * faces from 87 % to 68 % on the self-blend bench (BENCHMARKS.md). So face identity is compared first, as the shortcut
 * audit compares it after training (the descriptors are cached, and that audit reuses them).
 */
import { auditShortcuts } from "../audit/audit-shortcuts";
import { SEPARATES } from "../audit/describe-audit";
import { CancelledError } from "../shared/errors";
import type { OperationOptions } from "../shared/progress";
import type { SelfBlendPlan } from "../synthesize/training-fakes";
import { identityCacheDir } from "./audit-training-pictures";

/** Parameters of chooseDefaultSelfBlend. */
export interface ChooseDefaultSelfBlendParams extends OperationOptions {
  projectDir: string;
  /** train.selfBlend as resolved from the project file alone ("add" is the face-crop default). */
  plan: SelfBlendPlan;
  /** The project's own pictures (absolute path and label). */
  pictures: ReadonlyArray<{ file: string; label: string }>;
  seed: number;
}

/** The plan training follows, and why it differs from the project file's default (undefined when it does not). */
export async function chooseDefaultSelfBlend(params: ChooseDefaultSelfBlendParams): Promise<{ plan: SelfBlendPlan; note?: string }> {
  const { plan } = params;
  if (plan.mode !== "add" || plan.fakeLabel === undefined) return { plan };
  let identity: number | null;
  try {
    const audit = await auditShortcuts({
      cacheDir: identityCacheDir(params.projectDir),
      labels: plan.labels,
      fakeLabel: plan.fakeLabel,
      pictures: params.pictures,
      seed: params.seed,
      identityOnly: true,
      onProgress: params.onProgress,
      signal: params.signal,
    });
    identity = audit.checks[0].balancedAccuracy;
  } catch (error) {
    if (error instanceof CancelledError) throw error;
    return { plan };
  }
  // Unmeasurable (too few faces) or other people: the default stands.
  if (identity === null || identity >= SEPARATES) return { plan };
  return {
    plan: { ...plan, mode: "off" },
    note: `train.selfBlend is not set, and face identity alone tells "${plan.fakeLabel}" from the other pictures in only ${Math.round(identity * 100)} % of cases (cross-validated; 50 % = not at all): those fakes show the same people, so no self-blends were added. Added to same-person fakes of a project's own, self-blends lowered balanced accuracy on same-person swaps of unseen faces from 87 % to 68 % in the studio's benchmark (BENCHMARKS.md). Set train.selfBlend to "add" to add them anyway.`,
  };
}
