/**
 * Safetensors files on disk (Node only): the byte codec of safetensors.ts plus an atomic write and
 * a read whose errors name the file.
 */
import { readFileSync } from "node:fs";
import { writeFileAtomic } from "./atomic.ts";
import {
  decodeSafetensors,
  encodeSafetensors,
  type ReadOptions,
  type SafetensorsContents,
  SafetensorsError,
  type SafetensorsInput,
} from "./safetensors.ts";

/** Writes a safetensors file atomically (temp file + fsync + rename). */
export function writeSafetensors(
  path: string,
  tensors: Readonly<Record<string, SafetensorsInput>>,
  metadata: Readonly<Record<string, string>> = {},
): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/** Reads and validates a safetensors file; a missing file is a {@link SafetensorsError} too. */
export function readSafetensors(
  path: string,
  options: Omit<ReadOptions, "source"> = {},
): SafetensorsContents {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SafetensorsError(
      path,
      code === "ENOENT" ? "file does not exist" : `cannot read (${code ?? (e as Error).message})`,
    );
  }
  return decodeSafetensors(bytes, { ...options, source: path });
}
