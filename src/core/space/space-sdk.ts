/** The two kinds of Space the studio writes. */

/**
 * "static": index.html + onnxruntime-web, the model runs in the visitor's browser (free on Hugging Face).
 * "gradio": app.py on the Space's CPU, as the fast.ai lesson does (new Gradio Spaces need a paid plan).
 */
export type SpaceSdk = "static" | "gradio";

export const SPACE_SDKS: readonly SpaceSdk[] = ["static", "gradio"];

/** Narrows user input ("--sdk Static") to a SpaceSdk, or undefined. */
export function parseSpaceSdk(value: string): SpaceSdk | undefined {
  const lower = value.trim().toLowerCase();
  return (SPACE_SDKS as readonly string[]).includes(lower) ? (lower as SpaceSdk) : undefined;
}
