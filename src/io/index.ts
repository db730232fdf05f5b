/**
 * Files a run leaves behind: checkpoints (safetensors parameters plus JSON state), metric logs
 * (JSON lines), learning-curve plots (SVG, PNG), all written atomically.
 */
export { writeFileAtomic } from "./atomic.ts";
export * from "./checkpoint.ts";
export * from "./checkpoint-file.ts";
export * from "./metrics.ts";
export * from "./plot.ts";
export * from "./safetensors.ts";
export * from "./safetensors-file.ts";
export * from "./state-json.ts";
