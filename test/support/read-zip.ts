/** Reads a zip's (a .vsix's) directory and the first bytes of its entries: enough to tell what each file is. */
import { promises as fs } from "node:fs";
import * as zlib from "node:zlib";

/** One file in the zip. */
export interface ZipEntry {
  name: string;
  size: number;
  /** Unix mode from the external attributes (0 when the zip was not written on Unix terms). */
  mode: number;
  method: number;
  compressedSize: number;
  headerOffset: number;
}

/** The entries of a zip without ZIP64 (a .vsix under 4 GB). */
export async function readZipEntries(data: Buffer): Promise<ZipEntry[]> {
  const end = data.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error("not a zip file: no end of central directory");
  const count = data.readUInt16LE(end + 10);
  let at = data.readUInt32LE(end + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (data.readUInt32LE(at) !== 0x02014b50) throw new Error(`bad central directory entry ${i}`);
    const nameLength = data.readUInt16LE(at + 28);
    const extraLength = data.readUInt16LE(at + 30);
    const commentLength = data.readUInt16LE(at + 32);
    entries.push({
      name: data.toString("utf8", at + 46, at + 46 + nameLength),
      method: data.readUInt16LE(at + 10),
      compressedSize: data.readUInt32LE(at + 20),
      size: data.readUInt32LE(at + 24),
      mode: data.readUInt32LE(at + 38) >>> 16,
      headerOffset: data.readUInt32LE(at + 42),
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Up to `bytes` bytes from the start of an entry (stored or deflated), inflating only what that needs. */
export function readEntryStart(data: Buffer, entry: ZipEntry, bytes: number, compressedLimit = 256 * 1024): Buffer {
  const local = entry.headerOffset;
  const start = local + 30 + data.readUInt16LE(local + 26) + data.readUInt16LE(local + 28);
  if (entry.method === 0) return data.subarray(start, start + Math.min(bytes, entry.size));
  if (entry.method !== 8) throw new Error(`${entry.name}: compression method ${entry.method} is not deflate`);
  // A prefix of the compressed stream is enough: SYNC_FLUSH gives back what it decodes instead of failing at its end.
  const chunk = data.subarray(start, start + Math.min(entry.compressedSize, compressedLimit));
  return zlib.inflateRawSync(chunk, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, bytes);
}

/** The whole entry, as text (small files: manifests). */
export function readEntryText(data: Buffer, entry: ZipEntry): string {
  return readEntryStart(data, entry, entry.size, entry.compressedSize).toString("utf8");
}

/** Reads the zip file from disk. */
export async function readZip(file: string): Promise<{ data: Buffer; entries: ZipEntry[] }> {
  const data = await fs.readFile(file);
  return { data, entries: await readZipEntries(data) };
}
