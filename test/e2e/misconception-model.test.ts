// The second embedded model through the built app: picked in the Setup cell, it loads from the
// app's own files with no download, the notebook's link carries it, and the Evaluate cell runs
// it greedily in the browser on the test split.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decodeNotebook, defaultNotebook, encodeNotebook } from '../../src/core/notebook';
import { launchBrowser, openPage, requireEmbeddedModel, screenshotDir } from './browser';

const MODEL_ID = 'toy-arith-misconception';
const QUESTIONS = 6;

describe('the embedded misconception model in the app', () => {
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    requireEmbeddedModel();
    const notebook = defaultNotebook();
    notebook.recipe.extractionMode = 'clean';
    notebook.recipe.lossMode = 'clean';
    notebook.recipe.evaluation.maxTokens = 300;
    browser = await launchBrowser();
    ({ page, problems } = await openPage(browser));
    await page.goto(`${inject('baseUrl')}#${await encodeNotebook(notebook)}`);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('is picked in the Setup cell and loads with no download', async () => {
    await page.getByTestId('model-select').selectOption(MODEL_ID);
    await expect
      .poll(async () => (await decodeNotebook(page.url())).recipe.engine.modelId)
      .toBe(MODEL_ID);
    expect(await page.getByTestId('model-needs').textContent()).toContain('no download');
    await page.getByTestId('load-model').click();
    await page.getByTestId('model-info').waitFor({ timeout: 90_000 });
    expect(await page.getByTestId('model-info').textContent()).toMatch(
      new RegExp(`^\\s*${MODEL_ID} on wasm`),
    );
    await page.locator('#cell-setup').screenshot({
      path: `${screenshotDir}/cell-setup-misconception.png`,
    });
  });

  it('answers the test split greedily in the Evaluate cell', async () => {
    await page.getByTestId('evaluate-count').fill(String(QUESTIONS));
    await page.getByTestId('evaluate-count').press('Tab');
    await page.getByTestId('evaluate-start').click();
    const row = page.locator('[data-testid="evaluate-table"] tbody tr');
    await row.waitFor({ timeout: 120_000 });
    const [model, correct] = await row.locator('td').allTextContents();
    expect(model).toBe(`${MODEL_ID} (base)`);
    expect(correct).toMatch(new RegExp(`^\\d+ / ${QUESTIONS}$`));
    await page.locator('#cell-evaluate').screenshot({
      path: `${screenshotDir}/cell-evaluate-misconception.png`,
    });
    expect(problems).toEqual([]);
  }, 180_000);
});
