/** Where a project's pictures came from and under which licences, from the provenance manifest: the Space README and the model card say it. */
import { readManifest } from "./manifest";

/** Pictures by source (a search engine, or "import") and by licence ("unknown" when none was stated). */
export interface DataSources {
  pictures: number;
  bySource: Record<string, number>;
  byLicense: Record<string, number>;
}

/** Counts the manifest's pictures by source and by licence. */
export async function summariseDataSources(dataDir: string): Promise<DataSources> {
  const records = await readManifest(dataDir);
  const bySource: Record<string, number> = {};
  const byLicense: Record<string, number> = {};
  for (const record of records) {
    bySource[record.source] = (bySource[record.source] ?? 0) + 1;
    byLicense[record.license ?? "unknown"] = (byLicense[record.license ?? "unknown"] ?? 0) + 1;
  }
  return { pictures: records.length, bySource, byLicense };
}

/** "N pictures. Found by: bing 20, import 5. Licences: unknown 20, CC BY 4.0 5 (…)." with names escaped by `escape`. */
export function describeDataSources(data: DataSources, escape: (text: string) => string): string {
  const list = (counts: Record<string, number>) => Object.entries(counts).sort(([nameA, a], [nameB, b]) => b - a || (nameA < nameB ? -1 : 1)).map(([name, count]) => `${escape(name)} ${count}`).join(", ");
  return `${data.pictures} pictures. Found by: ${list(data.bySource)}. Licences: ${list(data.byLicense)} (as the search engines state them; "unknown": none stated, copyright stays with the owners).`;
}
