// Storage benchmark, measured in one run in headless Chromium:
//   1. the time to write 100,000 candidates through the store (Dexie, one transaction) and read
//      them back in order, versus raw IndexedDB doing the same in one transaction; prints the
//      ratio (target ≤ 1.5);
//   2. the longest main-thread task during a run: a toy run (the embedded model on wasm) through
//      the app's runner, engine worker and IndexedDB catalog, watched by
//      bench/mainThreadMonitor.js (target ≤ 50 ms).
// Usage: npm run bench:storage [-- --candidates 100000 --rounds 2 --dexie-debug
//                                  --run-questions 4 --run-m 8 --no-run]
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { createServer } from 'vite';
import { chromiumArgs, chromiumPath } from '../scripts/chromium.js';
import { describeLongestTask, mainThreadReport, type MainThreadReport } from './mainThread';
import type {
  PipelineBenchRequest,
  PipelineBenchResult,
  StorageBenchRequest,
  StorageBenchResult,
  StorageBenchTimes,
} from './storageBrowser';

const { values } = parseArgs({
  options: {
    candidates: { type: 'string', default: '100000' },
    m: { type: 'string', default: '15' },
    rounds: { type: 'string', default: '2' },
    'dexie-debug': { type: 'boolean', default: false },
    'run-questions': { type: 'string', default: '4' },
    'run-m': { type: 'string', default: '8' },
    'no-run': { type: 'boolean', default: false },
  },
});
const root = resolve(import.meta.dirname, '..');

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

function summary(times: StorageBenchTimes[]) {
  const write = median(times.map((t) => t.writeMs));
  const read = median(times.map((t) => t.readMs));
  return { write, read, total: median(times.map((t) => t.writeMs + t.readMs)) };
}

async function main(): Promise<void> {
  const server = await createServer({
    root,
    configFile: resolve(root, 'vite.config.ts'),
    logLevel: 'error',
    server: { host: '127.0.0.1', port: 0 },
    // Pre-bundle the page's dependencies at start-up, so the dev server does not discover one
    // mid-run and reload the page under the measurement.
    optimizeDeps: { entries: ['bench/storage.html'] },
  });
  await server.listen();
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: chromiumArgs,
    headless: true,
  });
  const results: StorageBenchResult[] = [];
  let pipeline: { result: PipelineBenchResult; report: MainThreadReport } | null = null;
  try {
    const address = server.httpServer?.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const openPage = async () => {
      const opened = await browser.newPage();
      await opened.goto(`http://127.0.0.1:${port}/bench/storage.html`);
      await opened.waitForFunction(() => document.title === 'storage bench ready', null, {
        timeout: 120_000,
      });
      return opened;
    };
    const page = await openPage();
    // Dexie turns its debug mode (a stack trace per operation) on for pages served from
    // localhost or 127.0.0.1, as `npm start` does; a deployed app has it off. Measure it off,
    // and also on with --dexie-debug.
    for (const dexieDebug of values['dexie-debug'] ? [false, true] : [false]) {
      const request: StorageBenchRequest = {
        candidates: Number(values.candidates),
        m: Number(values.m),
        rounds: Number(values.rounds),
        dexieDebug,
      };
      results.push(
        await page.evaluate(
          (r) =>
            (
              globalThis as unknown as {
                runStorageBench(r: StorageBenchRequest): Promise<StorageBenchResult>;
              }
            ).runStorageBench(r),
          request,
        ),
      );
    }
    if (!values['no-run']) {
      // A fresh page: the 100,000 rows above would leave their garbage to collect mid-run.
      await page.close();
      const runPage = await openPage();
      const request: PipelineBenchRequest = {
        questions: Number(values['run-questions']),
        m: Number(values['run-m']),
      };
      const result = await runPage.evaluate(
        (r) =>
          (
            globalThis as unknown as {
              runPipelineBench(r: PipelineBenchRequest): Promise<PipelineBenchResult>;
            }
          ).runPipelineBench(r),
        request,
      );
      pipeline = { result, report: await mainThreadReport(runPage, result.from, result.to) };
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const n = Number(values.candidates);
  const ms = (x: number) => `${x.toFixed(0).padStart(6)} ms`;
  const lines = [
    `${n} candidates (m = ${values.m}), one transaction each way, median of ${values.rounds} rounds`,
  ];
  for (const result of results) {
    if (result.readBack.some((rows) => rows !== n))
      throw new Error(`read back ${result.readBack.join(', ')} rows, expected ${n}`);
    const store = summary(result.store);
    const raw = summary(result.raw);
    lines.push(
      '',
      `Dexie debug mode ${result.dexieDebug ? 'on (as when served from localhost)' : 'off'}`,
      `  store (Dexie)    write ${ms(store.write)}   read ${ms(store.read)}   total ${ms(store.total)}`,
      `  raw IndexedDB    write ${ms(raw.write)}   read ${ms(raw.read)}   total ${ms(raw.total)}`,
      `  ratio store / raw: write ${(store.write / raw.write).toFixed(2)}, read ${(store.read / raw.read).toFixed(2)}, total ${(store.total / raw.total).toFixed(2)}  (target ≤ 1.5)`,
    );
  }
  if (pipeline) {
    const { result, report } = pipeline;
    const expected = Number(values['run-questions']) * Number(values['run-m']);
    if (result.status !== 'done' || result.candidates !== expected)
      throw new Error(`the toy run ended ${result.status} with ${result.candidates} candidates`);
    const seconds = (result.to - result.from) / 1000;
    lines.push(
      '',
      `A toy run through the app's runner, engine worker and IndexedDB catalog (${values['run-questions']} questions × m = ${values['run-m']}, generate and score, ${result.device}): ${result.candidates} candidates in ${seconds.toFixed(1)} s`,
      `  the longest main-thread task during a run: ${describeLongestTask(report)}`,
    );
  }
  console.log(lines.join('\n'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
