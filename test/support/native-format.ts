/** Tells a native binary's format and CPU from its first bytes: ELF, PE (Windows) or Mach-O (macOS, thin or universal). */

/** What a file is, for a platform check; undefined for anything that is not native code. */
export interface NativeFormat {
  /** The operating system family the format belongs to. */
  os: "linux" | "win32" | "darwin";
  /** CPUs the code is built for (a universal Mach-O has several). */
  cpus: string[];
}

const ELF_MACHINES: Record<number, string> = { 0x03: "ia32", 0x28: "arm", 0x3e: "x64", 0xb7: "arm64" };
const PE_MACHINES: Record<number, string> = { 0x014c: "ia32", 0x8664: "x64", 0xaa64: "arm64", 0x01c4: "arm" };
const MACHO_CPUS: Record<number, string> = { 0x7: "ia32", 0x01000007: "x64", 0xc: "arm", 0x0100000c: "arm64" };

/** Reads the format from the first 4 KB of a file (enough for the ELF, PE and Mach-O headers). */
export function nativeFormat(head: Buffer): NativeFormat | undefined {
  if (head.length >= 20 && head.readUInt32BE(0) === 0x7f454c46) {
    const machine = head[5] === 2 ? head.readUInt16BE(18) : head.readUInt16LE(18);
    return { os: "linux", cpus: [ELF_MACHINES[machine] ?? `elf-machine-${machine}`] };
  }
  if (head.length >= 64 && head.toString("latin1", 0, 2) === "MZ") {
    const pe = head.readUInt32LE(0x3c);
    if (pe + 6 <= head.length && head.readUInt32BE(pe) === 0x50450000) {
      const machine = head.readUInt16LE(pe + 4);
      return { os: "win32", cpus: [PE_MACHINES[machine] ?? `pe-machine-${machine.toString(16)}`] };
    }
  }
  if (head.length >= 8) {
    const magic = head.readUInt32LE(0);
    if (magic === 0xfeedfacf || magic === 0xfeedface) return { os: "darwin", cpus: [machoCpu(head.readInt32LE(4))] };
    // Universal ("fat") binaries are big-endian; 0xcafebabe is also Java's class magic, told apart by the small arch count.
    if (head.readUInt32BE(0) === 0xcafebabe && head.readUInt32BE(4) < 20) {
      const count = head.readUInt32BE(4);
      const cpus = Array.from({ length: count }, (_, i) => machoCpu(head.readInt32BE(8 + i * 20)));
      return { os: "darwin", cpus };
    }
  }
  return undefined;
}

function machoCpu(type: number): string {
  return MACHO_CPUS[type >>> 0] ?? `macho-cpu-${(type >>> 0).toString(16)}`;
}
