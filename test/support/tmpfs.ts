/** A small tmpfs for full-disk tests (the tests run as root, locally and in CI). */
import { execFileSync } from "node:child_process";
import { promises as fs } from "node:fs";

export interface Tmpfs {
  dir: string;
  /** Changes the size; what is written stays. */
  resize(bytes: number): void;
  /** Makes it read-only ("ro", a read-only disk) or writable again ("rw"). */
  remount(mode: "ro" | "rw"): void;
  unmount(): Promise<void>;
}

/** Mounts a tmpfs of `bytes` (rounded up to KiB) on `dir`, which is created if needed. */
export async function mountTmpfs(dir: string, bytes: number): Promise<Tmpfs> {
  await fs.mkdir(dir, { recursive: true });
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${Math.ceil(bytes / 1024)}k`, "tmpfs", dir]);
  let mounted = true;
  return {
    dir,
    resize: (size) => execFileSync("mount", ["-o", `remount,size=${Math.ceil(size / 1024)}k`, dir]),
    remount: (mode) => execFileSync("mount", ["-o", `remount,${mode}`, dir]),
    unmount: async () => {
      if (!mounted) return;
      mounted = false;
      execFileSync("umount", [dir]);
    },
  };
}
