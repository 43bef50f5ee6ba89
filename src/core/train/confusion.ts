/** The validation confusion matrix every engine reports in metrics.json. */
import type { RunMetrics, RunPrediction } from "./run-files";

/** matrix[actual][predicted] over the validation split. */
export function confusionOf(labels: string[], predictions: readonly RunPrediction[]): RunMetrics["confusion"] {
  const matrix = labels.map(() => labels.map(() => 0));
  for (const prediction of predictions) {
    if (prediction.split === "valid") matrix[labels.indexOf(prediction.label)][labels.indexOf(prediction.predicted)] += 1;
  }
  return { labels, matrix };
}
