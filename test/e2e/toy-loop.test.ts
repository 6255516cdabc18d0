// The whole toy loop through the UI of the built app, on the embedded model: set up → generate →
// vote → score → filter → compare → analyse → export, on a small slice (4 questions × m = 4).
// The page's numbers are checked against the core run over the files the page exports; the
// downloaded file is read back; the link opens the same notebook in a fresh browser; and every
// cell is photographed at 1280 px (and the page at 768 px) into test-results/screenshots/.
import { readFileSync } from 'node:fs';
import { unzipSync, strFromU8 } from 'fflate';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { iwsiSelect, createFilterContext } from '../../src/core/filters';
import { defaultNotebook, encodeNotebook, recipeHash } from '../../src/core/notebook';
import { parseSamplesJsonl, parseTrainLoss, parseValidLoss } from '../../src/core/official/files';
import { flattenNumbers, offsetsOf } from '../../src/core/ragged';
import { getTask } from '../../src/core/tasks/registry';
import { buildPrompt, extractTaskAnswer } from '../../src/core/tasks/task';
import { toyArithSplit } from '../../src/core/tasks/toyArithData';
import { internAnswers } from '../../src/core/ragged';
import { NOTEBOOK_CELLS } from '../../src/ui/cells';
import {
  launchBrowser,
  requireEmbeddedModel,
  openPage,
  saveScreenshot,
  screenshotDir,
} from './browser';

const QUESTIONS = 4;
const M = 4;

async function text(page: Page, testid: string): Promise<string> {
  return ((await page.locator(`[data-testid="${testid}"]`).first().textContent()) ?? '').trim();
}

async function download(page: Page, testid: string): Promise<{ name: string; bytes: Buffer }> {
  const [file] = await Promise.all([
    page.waitForEvent('download'),
    page.locator(`[data-testid="${testid}"]`).click(),
  ]);
  const path = await file.path();
  return { name: file.suggestedFilename(), bytes: readFileSync(path) };
}

describe('the toy loop through the UI', () => {
  let browser: Browser;
  let page: Page;
  let problems: string[];
  const notebook = defaultNotebook();
  notebook.title = 'Toy loop';
  notebook.recipe.dataset.slice = { start: 0, end: QUESTIONS };
  notebook.recipe.sampling.m = M;
  // Greedy evaluation runs to its token budget in faithful mode; keep it short here.
  notebook.recipe.evaluation.maxTokens = 400;
  notebook.recipe.filters = [
    { method: 'iwsi', k: 0.79 },
    { method: 'lmsi' },
    { method: 'entropy', u: 0.5 },
    { method: 'groundtruth' },
  ];

  beforeAll(async () => {
    requireEmbeddedModel();
    browser = await launchBrowser();
    ({ page, problems } = await openPage(browser));
    await page.goto(`${inject('baseUrl')}#${await encodeNotebook(notebook)}`);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('loads the embedded model with no download', async () => {
    await page.locator('[data-testid="load-model"]').click();
    await page.locator('[data-testid="model-info"]').waitFor({ timeout: 90_000 });
    expect(await text(page, 'model-info')).toMatch(/^toy-arith on wasm/);
    expect(await text(page, 'model-needs')).toContain('no download');
  });

  it('previews the questions and the exact prompt of the core', async () => {
    await page.locator('[data-testid="dataset-load"]').click();
    await page.locator('[data-testid="dataset-preview"]').waitFor();
    const first = toyArithSplit('train')[0];
    expect(await text(page, 'dataset-preview')).toContain(first?.question ?? '?');
    const task = getTask('toy-arith');
    const expected = buildPrompt(task, first?.question ?? '', task.defaultExemplars);
    await expect
      .poll(() => page.locator('[data-testid="prompt-preview"]').textContent())
      .toBe(expected);
  });

  it('generates and scores every candidate, streaming them in', async () => {
    await page.locator('[data-testid="run-start"]').click();
    await expect
      .poll(() => text(page, 'generate-progress-count'), { timeout: 120_000 })
      .toBe(`${QUESTIONS * M} / ${QUESTIONS * M}`);
    await expect
      .poll(() => text(page, 'cell-generate-state'), { timeout: 120_000 })
      .toContain('done');
    expect(Number(await page.locator('[data-testid="stream"]').getAttribute('data-count'))).toBe(
      QUESTIONS * M,
    );
    await page.locator('[data-testid="score-summary"]').waitFor();
    expect(await text(page, 'score-summary')).toMatch(/Lv = \d/);
  });

  it('shows the votes, the filters and the analyses of the core on the exported files', async () => {
    await page.locator('[data-testid="vote-summary"]').waitFor();
    expect(await text(page, 'vote-summary')).toContain(`of ${QUESTIONS} questions`);

    // The official layout the page exports, re-filtered here by the core.
    const official = await download(page, 'export-official');
    const files = unzipSync(new Uint8Array(official.bytes));
    const samples = parseSamplesJsonl(strFromU8(files['samples.jsonl'] as Uint8Array));
    const trainLoss = parseTrainLoss(strFromU8(files['train_loss.json'] as Uint8Array));
    const validLoss = parseValidLoss(strFromU8(files['valid_loss.json'] as Uint8Array));
    expect(samples.rows).toHaveLength(QUESTIONS);
    expect(samples.rows.every((row) => row.candidates.length === M)).toBe(true);
    const task = getTask('toy-arith');
    const answers = samples.rows.map((row) =>
      row.candidates.map((c) => extractTaskAnswer(task, c, 'faithful').answer),
    );
    const interned = internAnswers(answers);
    const offsets = offsetsOf(answers);
    const context = createFilterContext(
      {
        offsets,
        answerIds: interned.answerIds,
        losses: flattenNumbers(trainLoss, offsets, 'train_loss.json'),
      },
      { validLosses: validLoss },
    );
    const keptAt = (k: number): number =>
      iwsiSelect(context.weights.ds, k).keep.reduce((a, b) => a + b, 0);

    await page.locator('[data-testid="kept-count"]').waitFor();
    expect(Number(await text(page, 'kept-count'))).toBe(keptAt(0.79));
    // Keyboard: the slider moves k by 0.01 per arrow key.
    await page.locator('[data-testid="k-slider"]').focus();
    for (let i = 0; i < 29; i++) await page.keyboard.press('ArrowLeft');
    await expect.poll(() => text(page, 'k-value')).toBe('0.5');
    expect(Number(await text(page, 'kept-count'))).toBe(keptAt(0.5));

    await expect.poll(() => page.locator('[data-testid="compare-table"] tbody tr').count()).toBe(4);
    await expect.poll(() => text(page, 'compare-table')).toContain('IWSI (k = 0.5)');
    await page.locator('[data-testid="chart-projection"] canvas').first().waitFor();
    await page.locator('[data-testid="chart-ds-histogram"] canvas').first().waitFor();
  });

  it('downloads the kept set with a manifest of the recipe', async () => {
    const kept = Number(await text(page, 'kept-count'));
    await expect.poll(() => text(page, 'cell-export-state')).toContain(`${kept} rows`);
    const file = await download(page, 'export-download');
    expect(file.name).toBe('trl-prompt-completion.jsonl');
    const lines = file.bytes.toString('utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(kept);
    const questions = new Set(
      toyArithSplit('train')
        .slice(0, QUESTIONS)
        .map((q) => q.question),
    );
    for (const line of lines) {
      const row = JSON.parse(line) as { prompt: string; completion: string };
      const question = /^Q: (.*)\nA: /.exec(row.prompt)?.[1];
      expect(questions.has(question ?? '')).toBe(true);
      expect(row.completion.length).toBeGreaterThan(0);
    }
    const all = await download(page, 'export-all');
    const zipped = unzipSync(new Uint8Array(all.bytes));
    const manifest = JSON.parse(strFromU8(zipped['manifest.json'] as Uint8Array)) as {
      recipeHash: string;
      counts: { kept: number };
      recipe: { sampling: { m: number } };
    };
    expect(manifest.counts.kept).toBe(kept);
    expect(manifest.recipe.sampling.m).toBe(M);
    const current = {
      ...notebook.recipe,
      filters: [{ method: 'iwsi' as const, k: 0.5 }, ...notebook.recipe.filters.slice(1)],
    };
    expect(manifest.recipeHash).toBe(recipeHash(current));
  });

  it('evaluates the base model on the test split in the browser', async () => {
    await page.locator('[data-testid="evaluate-count"]').fill('3');
    await page.locator('[data-testid="evaluate-start"]').click();
    await page.locator('[data-testid="evaluate-table"]').waitFor({ timeout: 120_000 });
    expect(await text(page, 'evaluate-table')).toMatch(/toy-arith \(base\)\s*\d \/ 3/);
    expect(await text(page, 'evaluate-progress-count')).toBe('3 / 3');
  });

  it('photographs every cell', async () => {
    for (const cell of NOTEBOOK_CELLS) {
      const element = page.locator(`#cell-${cell.id}`);
      await element.scrollIntoViewIfNeeded();
      await element.screenshot({ path: `${screenshotDir}/cell-${cell.id}.png` });
    }
    await page.locator('[data-testid="teaching-toggle"]').check();
    await page.locator('[data-testid="explain-filter"] .katex').first().waitFor();
    await page
      .locator('#cell-filter')
      .screenshot({ path: `${screenshotDir}/cell-filter-teaching.png` });
    await page.locator('[data-testid="teaching-toggle"]').uncheck();
    await page.setViewportSize({ width: 768, height: 1000 });
    await page.waitForTimeout(500);
    await saveScreenshot(page, 'notebook-768');
    for (const id of ['setup', 'generate', 'vote', 'filter', 'compare']) {
      const element = page.locator(`#cell-${id}`);
      await element.scrollIntoViewIfNeeded();
      await element.screenshot({ path: `${screenshotDir}/cell-${id}-768.png` });
    }
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('shares the notebook, never its results, with a fresh browser', async () => {
    await page.locator('[data-testid="share"]').click();
    const link = await page.locator('[data-testid="share-link"]').inputValue();
    expect(link.length).toBeLessThan(4000);
    const fresh = await openPage(browser);
    await fresh.page.goto(link);
    await fresh.page.locator('[data-testid="link-origin"]').waitFor();
    expect(await fresh.page.locator('[data-testid="sampling-m"]').inputValue()).toBe(String(M));
    expect(await fresh.page.locator('[data-testid="k-value"]').textContent()).toBe('0.5');
    expect(await fresh.page.locator('[data-testid="slice-end"]').inputValue()).toBe(
      String(QUESTIONS),
    );
    // The other browser has the recipe but none of the results.
    expect(await fresh.page.locator('[data-testid="stream"]').count()).toBe(0);
    expect(await fresh.page.locator('[data-testid="vote-summary"]').count()).toBe(0);
    expect(fresh.problems).toEqual([]);
    await fresh.page.context().close();
    expect(problems).toEqual([]);
  });
});
