import { defineConfig } from "vite";

// The server serves the built client from src/medverse/web_dist at "/".
// In development (`npm run dev`) the API and WebSockets are proxied to a local server.
const backend = process.env.MEDVERSE_URL ?? "http://127.0.0.1:8000";

export default defineConfig({
  base: "/",
  build: {
    outDir: "../src/medverse/web_dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      output: {
        manualChunks: { three: ["three"] },
      },
    },
  },
  server: {
    port: 5173,
    proxy: {
      "/api": { target: backend, changeOrigin: false },
      "/ws": { target: backend.replace(/^http/, "ws"), ws: true },
    },
  },
});
