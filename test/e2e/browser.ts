// Launches the system Chromium for end-to-end tests and records everything that went wrong on
// a page: console errors, uncaught exceptions, failed requests and HTTP errors.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumArgs, chromiumPath } from '../../scripts/chromium.js';

export const screenshotDir = join(import.meta.dirname, '..', '..', 'test-results', 'screenshots');

/** Stops a test early, with the fix, when the built app lacks the embedded model. */
export function requireEmbeddedModel(): void {
  const config = join(
    import.meta.dirname,
    '..',
    '..',
    'dist',
    'models',
    'toy-arith',
    'config.json',
  );
  if (!existsSync(config)) {
    throw new Error(
      'The embedded model is missing from dist/models/toy-arith: it is built into public/models/toy-arith by scripts/toy-model, then `npm run build`.',
    );
  }
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs, headless: true });
}

export interface PageProblems {
  problems: string[];
}

/** Opens a page that records its problems; assert `problems` is empty at the end of a test. */
export async function openPage(
  browser: Browser,
  viewport = { width: 1280, height: 900 },
): Promise<{ page: Page } & PageProblems> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) =>
    problems.push(`request failed: ${request.url()} (${request.failure()?.errorText ?? '?'})`),
  );
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  return { page, problems };
}

const ALL_CELLS_RENDERED = '[data-testid="cell"] { content-visibility: visible !important; }';

export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  // Cells off screen are skipped by the browser (content-visibility: auto); a picture of the
  // whole page renders them all.
  await page.screenshot({ path, fullPage: true, style: ALL_CELLS_RENDERED });
  return path;
}
