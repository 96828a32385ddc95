import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The DevOps listener serves the built files under /_static/svcconn/ (src/server/web-ui.ts).
export default defineConfig({
  root: import.meta.dirname,
  base: "/_static/svcconn/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    chunkSizeWarningLimit: 2048,
    sourcemap: false,
  },
  logLevel: "warn",
});
