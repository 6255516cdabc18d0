// The guided tour on the embedded model: "Do it for me" on each step sets up the class
// notebook, loads the model with no download, shows the questions and runs the loop, and the
// remaining steps point at cells that show the results.
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchBrowser, requireEmbeddedModel, openPage, saveScreenshot } from './browser';

describe('the guided tour', () => {
  let browser: Browser;
  beforeAll(async () => {
    requireEmbeddedModel();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('runs the toy loop from the tour panel', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(inject('baseUrl'));
    await page.getByTestId('tour-start').click();
    const act = page.getByTestId('tour-act');
    const next = page.getByTestId('tour-next');
    await act.click(); // the class notebook
    await expect.poll(() => page.getByTestId('sampling-m').inputValue()).toBe('6');
    await next.click();
    await act.click(); // load the model
    await page.getByTestId('model-info').waitFor({ timeout: 90_000 });
    await next.click();
    await act.click(); // the questions
    await page.getByTestId('dataset-preview').waitFor();
    await next.click(); // the prompt
    await next.click();
    await act.click(); // run it
    await expect
      .poll(() => page.getByTestId('cell-generate-state').textContent(), { timeout: 300_000 })
      .toBe('done: 72 / 72');
    await expect.poll(() => act.textContent()).toBe('Run it');
    for (let step = 0; step < 3; step++) await next.click();
    expect(await page.getByTestId('tour').locator('strong').textContent()).toContain('Weigh');
    await page.getByTestId('kept-count').waitFor();
    await page.waitForTimeout(800);
    await page.screenshot({
      path: join(import.meta.dirname, '..', '..', 'test-results', 'screenshots', 'tour-filter.png'),
    });
    await saveScreenshot(page, 'tour-done');
    expect(page.url()).toContain('#nb1.');
    expect(problems).toEqual([]);
    await page.context().close();
  }, 400_000);
});
