// The playground's build: `policygrad` resolves to the package root's source (src/index.ts), so
// the page uses exactly the public API and needs no prior `npm run build`.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  resolve: {
    alias: { policygrad: fileURLToPath(new URL("../src/index.ts", import.meta.url)) },
  },
  worker: { format: "es" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // The page's whole code is small; one warning-free chunk per entry is fine.
    chunkSizeWarningLimit: 1000,
    // Rolldown's report of slow plugins is noise on a shared 2-core machine.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  server: { host: "127.0.0.1" },
  preview: { host: "127.0.0.1" },
});
