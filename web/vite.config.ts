// The console is served by `candor serve` under /console/ with a strict
// Content-Security-Policy (src/server/console_assets.h): one script and one
// style sheet of its own, no inline code, nothing inlined as data: URIs and
// no module-preload polyfill (Vite's is a script it may inline).
import { defineConfig } from "vite";

export default defineConfig({
  base: "/console/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: "es2022",
  },
  server: { fs: { allow: [".."] } },
});
