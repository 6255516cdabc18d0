// The second embedded model through the built app: picked in the Setup cell, it loads from the
// app's own files with no download, the notebook's link carries it, the Evaluate cell runs it
// greedily in the browser on the test split, and a reference trainer serving both embedded
// models is set to fine-tune the model the run was generated with.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decodeNotebook, defaultNotebook, encodeNotebook } from '../../src/core/notebook';
import { launchBrowser, openPage, requireEmbeddedModel, screenshotDir } from './browser';
import { connect, freePort, generateRun, PythonTrainer, UI_TOKEN } from './train-setup';

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
    notebook.recipe.dataset.slice = { start: 0, end: 2 };
    notebook.recipe.sampling.m = 2;
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

  it('has the trainer fine-tune the model the run was generated with', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iwsi-misconception-trainer-'));
    const models = resolve('public/models');
    const trainer = await PythonTrainer.start({
      dataDir: dir,
      toyModels: { 'toy-arith': join(models, 'toy-arith'), [MODEL_ID]: join(models, MODEL_ID) },
      port: await freePort(),
      token: UI_TOKEN,
      allowOrigins: [new URL(inject('baseUrl')).origin],
    });
    try {
      await generateRun(page);
      await connect(page, trainer.url, UI_TOKEN);
      await page.getByTestId('trainer-connected').waitFor();
      const offered = await page
        .locator('[data-testid="trainer-model"] option')
        .evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
      expect(offered).toEqual(['toy-arith', MODEL_ID]);
      expect(await page.getByTestId('trainer-model').inputValue()).toBe(MODEL_ID);
    } finally {
      await trainer.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(problems).toEqual([]);
  }, 300_000);
});
