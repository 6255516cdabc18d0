// The Train and Evaluate cells against the real Python reference trainer (a tiny toy model,
// allowed to be called from the built app's origin): a run on the embedded model, its kept set
// uploaded and fine-tuned from the notebook's settings with live progress, then the base and
// the fine-tuned model evaluated on the trainer with the accuracy table of the paper's shape.
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchBrowser, openPage, screenshotDir } from './browser';
import {
  connect,
  generateRun,
  MODEL_ID,
  startTrainer,
  trainerFixture,
  trainingNotebookUrl,
  UI_TOKEN,
} from './train-setup';
import type { PythonTrainer } from './train-setup';

describe('training and evaluating from the notebook', () => {
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let trainer: PythonTrainer;
  let fixture: ReturnType<typeof trainerFixture>;

  beforeAll(async () => {
    fixture = trainerFixture();
    const origin = new URL(inject('baseUrl')).origin;
    trainer = await startTrainer({
      modelDir: fixture.modelDir,
      dataDir: join(fixture.dir, 'data'),
      allowOrigins: [origin],
    });
    browser = await launchBrowser();
    ({ page, problems } = await openPage(browser));
    await page.goto(await trainingNotebookUrl(inject('baseUrl')));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await trainer?.stop();
    fixture?.remove();
  });

  it('fine-tunes on the kept set and evaluates both models', async () => {
    await generateRun(page);

    await connect(page, trainer.url, 'wrong-token');
    await expect.poll(() => page.locator('#cell-train [role="alert"]').count()).toBe(1);
    await connect(page, trainer.url, UI_TOKEN);
    await page.getByTestId('trainer-connected').waitFor();
    expect(await page.getByTestId('trainer-model').inputValue()).toBe(MODEL_ID);

    await page.getByTestId('train-start').click();
    await page.getByTestId('train-progress').waitFor();
    await page.getByTestId('train-result').waitFor({ timeout: 300_000 });
    expect(await page.getByTestId('train-result').textContent()).toContain('ft:');

    await page.getByTestId('evaluate-count').fill('3');
    await page.getByTestId('evaluate-trainer-base').click();
    await expect
      .poll(() => page.locator('[data-testid="evaluate-trainer-table"] tbody tr').count(), {
        timeout: 120_000,
      })
      .toBe(1);
    await page.getByTestId('evaluate-trainer-tuned').click();
    await expect
      .poll(() => page.locator('[data-testid="evaluate-trainer-table"] tbody tr').count(), {
        timeout: 120_000,
      })
      .toBe(2);
    const table = (await page.getByTestId('evaluate-trainer-table').textContent()) ?? '';
    expect(table).toMatch(/base: toy-tiny\s*\d+ \/ 3/);
    expect(table).toMatch(/fine-tuned: ft:/);
    await page
      .locator('#cell-train')
      .screenshot({ path: `${screenshotDir}/cell-train-trained.png` });
    await page
      .locator('#cell-evaluate')
      .screenshot({ path: `${screenshotDir}/cell-evaluate-trained.png` });
    // The wrong token's 401 is the only failed request the page made.
    expect(problems.filter((p) => !p.includes('401'))).toEqual([]);
  }, 600_000);
});
