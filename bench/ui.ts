// UI benchmark, measured in one run on the built app in headless Chromium:
//   1. the main bundle's gzipped size: the entry script, what it preloads and its CSS (what a
//      page load fetches before any worker or lazy chunk), against the 300 KB budget;
//   2. the longest main-thread task (bench/mainThreadMonitor.js: PerformanceObserver 'longtask'
//      and a timer-gap bound) while m = 15 candidates per question stream in from the embedded
//      model, against the 50 ms long-task threshold.
// Usage: npm run bench:ui [-- --questions 6 --m 15 --build]
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { defaultNotebook, encodeNotebook } from '../src/core/notebook';
import { chromiumArgs, chromiumPath } from '../scripts/chromium.js';
import { describeLongestTask, MAIN_THREAD_MONITOR, mainThreadReport } from './mainThread';

const { values } = parseArgs({
  options: {
    questions: { type: 'string', default: '6' },
    m: { type: 'string', default: '15' },
    build: { type: 'boolean', default: false },
  },
});
const root = resolve(import.meta.dirname, '..');
const dist = join(root, 'dist');
const BUNDLE_BUDGET_KB = 300;

function run(command: string, args: string[]): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
    child.on('exit', (code) =>
      code === 0 ? done() : fail(new Error(`${command} exited ${code}`)),
    );
  });
}

/** Gzipped bytes of what index.html loads up front: module scripts, modulepreloads, styles. */
function mainBundle(): { files: { name: string; gzip: number }[]; total: number } {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const urls = new Set<string>();
  for (const match of html.matchAll(/<(?:script|link)[^>]+(?:src|href)="([^"]+)"[^>]*>/g)) {
    const tag = match[0];
    const url = match[1] as string;
    if (tag.includes('icon')) continue;
    if (/\.(js|css)$/.test(url)) urls.add(url);
  }
  const files = [...urls].map((url) => {
    const bytes = readFileSync(join(dist, url.replace(/^\//, '')));
    return { name: url, gzip: gzipSync(bytes, { level: 9 }).length };
  });
  return { files, total: files.reduce((sum, f) => sum + f.gzip, 0) };
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

async function main(): Promise<void> {
  if (values.build || !existsSync(join(dist, 'index.html'))) await run('npm', ['run', 'build']);
  const bundle = mainBundle();
  console.log('Main bundle (gzipped, loaded up front):');
  for (const file of bundle.files)
    console.log(`  ${file.name}  ${(file.gzip / 1024).toFixed(1)} KB`);
  console.log(
    `  total ${(bundle.total / 1024).toFixed(1)} KB of ${BUNDLE_BUDGET_KB} KB budget (ratio ${(bundle.total / 1024 / BUNDLE_BUDGET_KB).toFixed(2)})`,
  );

  if (!existsSync(join(dist, 'models', 'toy-arith', 'config.json'))) {
    console.log('Streaming: skipped, the embedded model is not in dist/models/toy-arith.');
    return;
  }
  const port = await freePort();
  const server = spawn(
    join(root, 'node_modules', '.bin', 'vite'),
    ['preview', '--port', String(port), '--strictPort', '--host', '127.0.0.1'],
    { cwd: root, stdio: 'ignore' },
  );
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: chromiumArgs,
    headless: true,
  });
  try {
    const base = `http://127.0.0.1:${port}/`;
    for (let i = 0; i < 100; i++) {
      try {
        if ((await fetch(base)).ok) break;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const questions = Number(values.questions);
    const m = Number(values.m);
    const notebook = defaultNotebook();
    notebook.recipe.dataset.slice = { start: 0, end: questions };
    notebook.recipe.sampling.m = m;
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.addInitScript({ path: MAIN_THREAD_MONITOR });
    await page.goto(`${base}#${await encodeNotebook(notebook)}`);
    await page.locator('[data-testid="load-model"]').click();
    await page.locator('[data-testid="model-info"]').waitFor({ timeout: 120_000 });
    const started = await page.evaluate(() => performance.now());
    await page.locator('[data-testid="run-start"]').click();
    const total = questions * m;
    await page.waitForFunction(
      (expected) =>
        document.querySelector('[data-testid="generate-progress-count"]')?.textContent?.trim() ===
        `${expected} / ${expected}`,
      total,
      { timeout: 600_000 },
    );
    const ended = await page.evaluate(() => performance.now());
    const report = await mainThreadReport(page, started, ended);
    const seconds = (ended - started) / 1000;
    console.log(
      `Streaming ${total} candidates (${questions} questions × m = ${m}) in ${seconds.toFixed(1)} s (${(total / seconds).toFixed(1)} candidates/s)`,
    );
    console.log(`  the longest main-thread task: ${describeLongestTask(report)}`);
  } finally {
    await browser.close();
    server.kill('SIGTERM');
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
