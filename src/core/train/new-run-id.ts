/** Run ids sort by time: 20261126-120102-ab12 (UTC date, UTC time, 4 random hex digits against same-second clashes). */
import { randomBytes } from "node:crypto";

/** A new run id for `date` (default now). */
export function newRunId(date: Date = new Date()): string {
  const stamp = date.toISOString().replace(/\.\d+Z$/, "").replace(/[-:]/g, "").replace("T", "-");
  return `${stamp}-${randomBytes(2).toString("hex")}`;
}
