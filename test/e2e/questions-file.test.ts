// D_q from a local file through the UI of the built app: a JSON Lines file with unusual column
// names goes through the column-mapping form (screenshot), becomes the notebook's pinned D_q, and
// Generate on the embedded model makes candidates for its questions; a broken file is refused
// with its line number and changes nothing; a link to the notebook asks for the file, refuses
// another one by its hash, and lets Generate start only once the pinned file is given, also
// when the teacher hid the dataset control.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decodeNotebook, defaultNotebook, encodeNotebook } from '../../src/core/notebook';
import { launchBrowser, requireEmbeddedModel, openPage, screenshotDir } from './browser';

const M = 2;
const FILE_NAME = 'arith-prompts.jsonl';
const ROWS = [
  {
    prompt_text: 'Nora has 6 shells. She finds 7 more. How many shells does Nora have now?',
    gold: 13,
  },
  {
    prompt_text:
      'Omar has 15 stamps. He gives 4 of them to Lea. How many stamps does Omar have now?',
    gold: 11,
  },
  {
    prompt_text:
      'Ivy has 9 beads. She buys 2 bags with 3 beads in each. How many beads does Ivy have now?',
    gold: 15,
  },
];
const FILE_TEXT = `${ROWS.map((row) => JSON.stringify(row)).join('\n')}\n`;
const FILE_SHA256 = createHash('sha256').update(FILE_TEXT).digest('hex');
const BROKEN_TEXT = `${JSON.stringify(ROWS[0])}\n{"prompt_text": "Half a row",\n`;

function jsonl(name: string, text: string) {
  return { name, mimeType: 'application/jsonl', buffer: Buffer.from(text, 'utf8') };
}

async function text(page: Page, testid: string): Promise<string> {
  return ((await page.getByTestId(testid).first().textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

/** The notebook the address bar holds once the page has written it. */
async function notebookInUrl(page: Page) {
  await page.waitForTimeout(400); // the page writes the URL 250 ms after an edit
  return decodeNotebook(page.url());
}

describe('questions (D_q) from a local file', () => {
  let browser: Browser;
  let page: Page;
  let problems: string[];
  const notebook = defaultNotebook();
  notebook.title = 'Questions from a file';
  notebook.recipe.sampling.m = M;
  // A short D_v keeps scoring quick; the file's three questions are all of D_q.
  notebook.recipe.validation = {
    source: 'dataset',
    split: 'validation',
    slice: { start: 0, end: 4 },
  };

  beforeAll(async () => {
    requireEmbeddedModel();
    browser = await launchBrowser();
    ({ page, problems } = await openPage(browser));
    await page.goto(`${inject('baseUrl')}#${await encodeNotebook(notebook)}`);
    await page.getByTestId('questions-file-choose').waitFor();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('shows the file’s columns, the proposal and its reason, and uses the mapping chosen in the form', async () => {
    await page.getByTestId('questions-file').setInputFiles(jsonl(FILE_NAME, FILE_TEXT));
    const form = page.getByTestId('mapping-form');
    await form.waitFor();
    const columns = await text(page, 'mapping-columns');
    expect(columns).toContain('prompt_text');
    expect(columns).toContain(ROWS[0]!.prompt_text);
    expect(columns).toContain('gold');
    expect(columns).toContain('3 / 3');
    // No column is named like a question: the proposal says so and the form waits for a choice.
    expect(await text(page, 'mapping-reason')).toContain('No column looks like the question');
    expect(await page.getByTestId('mapping-use').isDisabled()).toBe(true);
    // The toy task's own columns (question, answer, rationale) are not in this file.
    expect(
      await page.locator('[data-testid="mapping-mode"] option[value="task"]').isDisabled(),
    ).toBe(true);

    await page.getByTestId('mapping-question').selectOption('prompt_text');
    await page.getByTestId('mapping-answer').selectOption('gold');
    expect(await page.getByTestId('mapping-use').isEnabled()).toBe(true);
    // The table says what each column is now read as.
    const roleOf = (column: string) =>
      page
        .locator('[data-testid="mapping-columns"] tbody tr', { hasText: column })
        .locator('td')
        .last()
        .textContent();
    expect(await roleOf('prompt_text')).toBe('question');
    expect(await roleOf('gold')).toBe('answer');
    await page.locator('#cell-dataset').screenshot({
      path: join(screenshotDir, 'questions-file-mapping.png'),
    });

    await page.getByTestId('mapping-use').click();
    await form.waitFor({ state: 'detached' });
    expect(await text(page, 'questions-file-state')).toContain(`${FILE_NAME}: 3 rows`);
    expect(await text(page, 'questions-file-state')).toContain(
      'question from “prompt_text”, answer from “gold”',
    );
    await page.getByTestId('dataset-preview').waitFor();
    const preview = await text(page, 'dataset-preview');
    expect(preview).toContain('D_q: 3 questions');
    expect(preview).toContain(`${ROWS[0]!.prompt_text} (gold: 13)`);

    // The notebook names the file, pins its hash and records the mapping: no row of it.
    const saved = await notebookInUrl(page);
    expect(saved.recipe.dataset.file).toEqual({
      name: FILE_NAME,
      sha256: FILE_SHA256,
      mapping: { kind: 'columns', question: 'prompt_text', answer: 'gold', rationale: null },
    });
    expect(page.url()).not.toContain('Nora');
  });

  it('refuses a broken file with its line number and leaves the questions in place', async () => {
    await page.getByTestId('questions-file').setInputFiles(jsonl('broken.jsonl', BROKEN_TEXT));
    await page.getByTestId('questions-file-error').waitFor();
    expect(await text(page, 'questions-file-error')).toMatch(
      /^broken\.jsonl line 2: not valid JSON \(/,
    );
    expect(await page.getByTestId('mapping-form').count()).toBe(0);
    await page.locator('#cell-dataset').screenshot({
      path: join(screenshotDir, 'questions-file-broken.png'),
    });
    expect(await text(page, 'questions-file-state')).toContain(`${FILE_NAME}: 3 rows`);
    expect(await text(page, 'dataset-preview')).toContain(ROWS[0]!.prompt_text);
    expect((await notebookInUrl(page)).recipe.dataset.file?.sha256).toBe(FILE_SHA256);
  });

  it('generates candidates for the file’s questions on the embedded model', async () => {
    await page.getByTestId('run-start').click();
    await expect
      .poll(() => text(page, 'generate-progress-count'), { timeout: 180_000 })
      .toBe(`${ROWS.length * M} / ${ROWS.length * M}`);
    await expect
      .poll(() => text(page, 'cell-generate-state'), { timeout: 120_000 })
      .toContain('done');
    expect(Number(await page.getByTestId('stream').getAttribute('data-count'))).toBe(
      ROWS.length * M,
    );
    // The Vote cell lists the run's questions: the file's, in file order, each with M candidates.
    await page.getByTestId('vote-summary').waitFor();
    expect(await text(page, 'vote-summary')).toContain(`of ${ROWS.length} questions`);
    const questions = await text(page, 'vote-questions');
    let at = -1;
    for (const row of ROWS) {
      const next = questions.indexOf(row.prompt_text);
      expect(next, row.prompt_text).toBeGreaterThan(at);
      at = next;
    }
    expect(await text(page, 'vote-detail')).toContain(`Q1: ${ROWS[0]!.prompt_text}`);
    expect(await page.locator('[data-testid="vote-detail"] tbody tr').count()).toBe(M);
    expect(problems).toEqual([]);
  });

  it('asks a link’s reader for the pinned file and starts only once it is given', async () => {
    const link = page.url();
    const reader = await openPage(browser);
    await reader.page.goto(link);
    const needed = reader.page.getByTestId('questions-file-needed');
    await needed.waitFor();
    const notice = await text(reader.page, 'questions-file-needed');
    expect(notice).toContain(FILE_NAME);
    expect(notice).toContain(FILE_SHA256);
    expect(await reader.page.getByTestId('run-start').isDisabled()).toBe(true);
    expect(await text(reader.page, 'run-needs-files')).toContain(`D_q from the file ${FILE_NAME}`);

    // Another file under the same name: refused by its hash, both hashes named.
    const other = FILE_TEXT.replace('6 shells', '8 shells');
    await reader.page.getByTestId('questions-file').setInputFiles(jsonl(FILE_NAME, other));
    await reader.page.getByTestId('mapping-mismatch').waitFor();
    const mismatch = await text(reader.page, 'mapping-mismatch');
    expect(mismatch).toContain(createHash('sha256').update(other).digest('hex'));
    expect(mismatch).toContain(FILE_SHA256);
    await reader.page.locator('#cell-dataset').screenshot({
      path: join(screenshotDir, 'questions-file-needed.png'),
    });
    expect(await reader.page.getByTestId('mapping-use').isDisabled()).toBe(true);
    await reader.page.getByTestId('mapping-cancel').click();
    expect(await reader.page.getByTestId('run-start').isDisabled()).toBe(true);

    // The pinned file: the form starts from the notebook's mapping, and the recipe is unchanged.
    await reader.page.getByTestId('questions-file').setInputFiles(jsonl('copy.jsonl', FILE_TEXT));
    await reader.page.getByTestId('mapping-form').waitFor();
    expect(await reader.page.getByTestId('mapping-question').inputValue()).toBe('prompt_text');
    expect(await reader.page.getByTestId('mapping-answer').inputValue()).toBe('gold');
    await reader.page.getByTestId('mapping-use').click();
    await needed.waitFor({ state: 'detached' });
    expect(await reader.page.getByTestId('run-start').isEnabled()).toBe(true);
    expect(await reader.page.getByTestId('run-needs-files').count()).toBe(0);
    expect((await notebookInUrl(reader.page)).recipe).toEqual((await decodeNotebook(link)).recipe);
    expect(reader.problems).toEqual([]);
  });

  it('still asks for the file when the teacher hid the dataset control', async () => {
    const fixed = await decodeNotebook(page.url());
    fixed.ui.hiddenControls = ['dataset'];
    const student = await openPage(browser);
    await student.page.goto(`${inject('baseUrl')}#${await encodeNotebook(fixed)}`);
    await student.page.getByTestId('control-dataset-fixed').waitFor();
    expect(await text(student.page, 'questions-file-needed')).toContain(FILE_NAME);
    // Only the pinned file can be given: the source itself stays as the teacher set it.
    expect(await student.page.getByTestId('questions-back').count()).toBe(0);
    await student.page.getByTestId('questions-file').setInputFiles(jsonl(FILE_NAME, FILE_TEXT));
    await student.page.getByTestId('mapping-use').click();
    await student.page.getByTestId('questions-file-state').waitFor();
    expect(await student.page.getByTestId('run-start').isEnabled()).toBe(true);
    expect(student.problems).toEqual([]);
  });
});
