/// <reference types="vitest/config" />
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vite';
import { chromiumArgs, chromiumPath } from './scripts/chromium.js';
import { dataTestCommands } from './test/browser/data/dataCommands.ts';
import { engineTestCommands } from './test/browser/engineCommands.ts';
import { remoteTestCommands } from './test/browser/remoteCommands.ts';
import { webLlmTestCommands } from './test/browser/webllmCommands.ts';

// Threads in wasm (SharedArrayBuffer) need cross-origin isolation on every server we run.
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export default defineConfig({
  plugins: [svelte()],
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders, port: 4173 },
  worker: { format: 'es' },
  // Pre-bundled up front, so that the dev server does not discover them mid-session and reload
  // the page: transformers.js (imported lazily by the engine worker) and hyparquet-writer (a
  // browser test's).
  optimizeDeps: { include: ['@huggingface/transformers', 'hyparquet-writer'] },
  build: { target: 'es2022', sourcemap: true },
  test: {
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          // Model-backed tests share two cores with the rest of the suite.
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 60_000,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: { executablePath: chromiumPath(), args: chromiumArgs },
            }),
            instances: [{ browser: 'chromium' }],
            // Node-side helpers for the engine tests (reference scores, request log), the data
            // tests (the same bundle code run in Node), the remote engine's loopback server and
            // web-llm's stubbed downloads.
            commands: {
              ...engineTestCommands,
              ...dataTestCommands,
              ...remoteTestCommands,
              ...webLlmTestCommands,
            },
          },
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/e2e/serve-built-app.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // A page's own timers (a cell polling its trainer, a debounced URL) run late when the
          // whole suite shares two cores: polls wait up to 20 s instead of 1 s.
          expect: { poll: { timeout: 20_000 } },
        },
      },
    ],
  },
});
