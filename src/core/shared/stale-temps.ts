/**
 * Temp files and folders beside their destination (same file system, so the final rename is atomic), and the
 * clean-up of the ones a killed process left: a later start removes them, never a live process's.
 */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";

/** Temps older than this are leftovers even when their owner's process id is alive again (ids get reused). */
export const STALE_TEMP_MS = 60 * 60 * 1000;

const OWNER = /-pid(\d+)$/;

/** `<prefix><random>-pid<process id>`: the owner's id lets the next start tell a killed run's temp from a live one's. */
export function tempName(prefix: string): string {
  return `${prefix}${randomBytes(6).toString("hex")}-pid${process.pid}`;
}

/**
 * Removes `dir/<prefix>*` (files or folders) whose owner process is gone, or that are older than maxAgeMs (also
 * names without an owner id, as older versions wrote them). A missing `dir` is fine.
 */
export async function removeStaleTemps(dir: string, prefix: string, maxAgeMs = STALE_TEMP_MS): Promise<string[]> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  const now = Date.now();
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const full = path.join(dir, name);
    const owner = OWNER.exec(name)?.[1];
    const stat = await fs.lstat(full).catch(() => undefined);
    if (!stat) continue;
    if ((owner !== undefined && !isAlive(Number(owner))) || now - stat.mtimeMs > maxAgeMs) {
      await fs.rm(full, { recursive: true, force: true });
      removed.push(full);
    }
  }
  return removed;
}

/** Whether a process with this id runs (EPERM: it does, as another user). */
function isAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
