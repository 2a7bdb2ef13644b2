import { defineConfig } from "vitest/config";

// Unit tests of the client's state, codecs and connection logic: plain TypeScript, no browser
// (the browser tests in ../tests/browser drive Chromium against the real server).
export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    environment: "node",
  },
});
