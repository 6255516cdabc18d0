// One run per browser, across tabs: while a run works in one tab, a second tab of the same
// browser cannot start another, shows the first tab's progress and follows its candidates, and
// shows the finished run when the first tab is done.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { defaultNotebook, encodeNotebook } from '../../src/core/notebook';
import { launchBrowser, requireEmbeddedModel, screenshotDir } from './browser';

const QUESTIONS = 4;
const M = 4;

describe('two tabs of one browser', () => {
  let browser: Browser;
  const notebook = defaultNotebook();
  notebook.recipe.dataset.slice = { start: 0, end: QUESTIONS };
  notebook.recipe.sampling.m = M;

  beforeAll(async () => {
    requireEmbeddedModel();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('runs in one tab while the other follows it', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const link = `${inject('baseUrl')}#${await encodeNotebook(notebook)}`;
    const first = await context.newPage();
    await first.goto(link);
    await first.getByTestId('run-start').click();
    await expect
      .poll(() => first.getByTestId('cell-generate-state').textContent(), { timeout: 90_000 })
      .toMatch(/^[1-9]\d* \/ \d+ generated$/);

    const second = await context.newPage();
    await second.goto(link);
    const notice = second.getByTestId('run-elsewhere');
    await notice.waitFor({ timeout: 30_000 });
    expect(await notice.textContent()).toContain('Another tab of this browser is running');
    expect(await second.getByTestId('run-start').isDisabled()).toBe(true);
    await second
      .locator('#cell-generate')
      .screenshot({ path: `${screenshotDir}/two-tabs-follower.png` });

    // When the first tab is done, the second shows the finished run.
    const total = QUESTIONS * M;
    await expect
      .poll(() => first.getByTestId('cell-generate-state').textContent(), { timeout: 180_000 })
      .toBe(`done: ${total} / ${total}`);
    await expect
      .poll(() => second.getByTestId('cell-generate-state').textContent(), { timeout: 30_000 })
      .toBe(`done: ${total} / ${total}`);
    expect(await second.getByTestId('run-elsewhere').count()).toBe(0);
    expect(await second.getByTestId('run-start').isDisabled()).toBe(false);
    await second.getByTestId('score-summary').waitFor();
    expect(await second.getByTestId('kept-count').textContent()).toBe(
      await first.getByTestId('kept-count').textContent(),
    );
    await context.close();
  });
});
