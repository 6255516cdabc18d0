// The Train cell's Together AI path in the built app, against a local server implementing
// Together's documented fine-tuning endpoints (test/support/togetherServer.ts) that lets the
// app's origin in: a wrong key refused with a message; the run's kept set (every kept row
// weighs 1: the filters keep or drop) uploaded without its weight field, fine-tuned with the
// notebook's LoRA settings and followed to "succeeded"; a file of weighted rows refused before
// anything is uploaded; a file of rows weighing 1 uploaded, and its job cancelled from the cell.
// Screenshots go to test-results/screenshots/train-together*.png.
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { defaultRecipe } from '../../src/core/notebook';
import { FakeTogether, TOGETHER_TEST_KEY, togetherEvent } from '../support/togetherServer';
import { launchBrowser, openPage, screenshotDir } from './browser';
import {
  connect,
  generateRun,
  shownText,
  storedData,
  trainedSteps,
  trainError,
  trainingNotebookUrl,
} from './train-setup';

/** The notebook's trainer settings (trainingNotebookUrl sets one epoch). */
const trainer = { ...defaultRecipe().trainer, epochs: 1 };

/** Rows whose weights are all 1: a file Together can train on. */
const UNWEIGHTED = [1, 2, 3].map((i) => ({
  prompt: `Q: ${i} + 1?\nA:`,
  completion: ` ${i + 1}.`,
  weight: 1,
}));
/** The same rows, one weighing 0.42: Together has no per-row weights. */
const WEIGHTED = UNWEIGHTED.map((row, i) => (i === 1 ? { ...row, weight: 0.42 } : row));

const jsonl = (rows: readonly object[]) =>
  Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n'));

describe('the Train cell with Together AI', () => {
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let together: FakeTogether;

  const shot = (name: string) =>
    page.locator('#cell-train').screenshot({ path: join(screenshotDir, `${name}.png`) });
  const cellState = () => shownText(page, 'cell-train-state');
  const calls = () => together.requests.map((r) => `${r.method} ${r.path}`);

  beforeAll(async () => {
    const appOrigin = new URL(inject('baseUrl')).origin;
    together = await new FakeTogether({ allowOrigin: appOrigin }).start();
    browser = await launchBrowser();
    ({ page, problems } = await openPage(browser));
    await page.goto(await trainingNotebookUrl(inject('baseUrl')));
    await generateRun(page);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await together?.stop();
  });

  it('switches the endpoint to Together and shows a wrong key refused, the key never shown', async () => {
    await page.getByTestId('trainer-kind').selectOption({ label: 'Together AI (hosted)' });
    expect(await page.getByTestId('trainer-url').inputValue()).toBe('https://api.together.xyz');
    await connect(page, together.baseUrl, 'wrong-key');
    const refused = await trainError(page);
    expect(refused.kind).toBe('unauthorized');
    expect(refused.text).toContain(
      `Together AI at ${together.baseUrl} refused the API key: Invalid API key provided.`,
    );
    expect(refused.text).toContain('Enter a key from your Together AI account');
    expect(refused.text).not.toContain('wrong-key');
    expect(await page.getByTestId('trainer-connected').count()).toBe(0);
    expect(await page.getByTestId('train-start').isDisabled()).toBe(true);
    expect(together.requests).toEqual([
      { method: 'GET', path: '/v1/fine-tunes', auth: 'Bearer wrong-key' },
    ]);
    await shot('train-together-key-refused');
  });

  it('fine-tunes the kept set with the LoRA settings, without weights, and follows it to the end', async () => {
    together.reset();
    await connect(page, together.baseUrl, TOGETHER_TEST_KEY);
    await page.getByTestId('trainer-connected').waitFor();
    expect(await shownText(page, 'trainer-connected')).toContain('Together AI');
    expect(await page.getByTestId('train-error').count()).toBe(0);
    // The toy model has no Together counterpart: the first model offered is proposed.
    expect(await page.getByTestId('trainer-model').inputValue()).toBe('meta-llama/Meta-Llama-3-8B');
    expect(await shownText(page, 'train-start')).toBe('Fine-tune on the kept set');

    await page.getByTestId('train-start').click();
    await expect.poll(() => together.jobs.size).toBe(1);
    expect(await page.getByTestId('train-error').count()).toBe(0);
    // The connection check, the upload and the job; then only the job is polled.
    expect(calls().slice(0, 3)).toEqual([
      'GET /v1/fine-tunes',
      'POST /v1/files/upload',
      'POST /v1/fine-tunes',
    ]);
    expect(
      calls()
        .slice(3)
        .every((c) => /^GET \/v1\/fine-tunes\/ft-1(\/events)?$/.test(c)),
    ).toBe(true);
    const [, upload, create] = together.requests;
    expect(upload?.auth).toBe(`Bearer ${TOGETHER_TEST_KEY}`);
    expect(upload?.form).toMatchObject({ purpose: 'fine-tune', file_type: 'jsonl' });
    expect(upload?.form?.['file_name']).toMatch(/\.jsonl$/);
    // The kept rows go up as prompt/completion rows, their weight field (all 1) left out.
    const sent = (upload?.form?.['file'] ?? '')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(sent.length).toBeGreaterThan(0);
    for (const row of sent) {
      expect(Object.keys(row).sort()).toEqual(['completion', 'prompt']);
      expect(row['prompt']).toMatch(/^Q: /);
    }
    expect(create?.json).toMatchObject({
      model: 'meta-llama/Meta-Llama-3-8B',
      training_file: 'file-7d0f',
      n_epochs: trainer.epochs,
      learning_rate: trainer.learningRate,
      batch_size: trainer.batchSize * trainer.gradientAccumulation,
      training_type: {
        type: 'Lora',
        lora_r: trainer.lora.r,
        lora_alpha: trainer.lora.alpha,
        lora_dropout: trainer.lora.dropout,
        lora_trainable_modules: trainer.lora.targetModules.join(','),
      },
    });

    // What Together has no field for is listed with the job.
    await page.getByTestId('train-job-notes').waitFor();
    expect(await shownText(page, 'train-job-notes')).toContain(`Seed ${trainer.seed}: not sent`);
    await expect.poll(() => shownText(page, 'train-progress')).toContain('Job ft-1: queued');

    // Together starts the job and reports steps in its events.
    const job = together.job('ft-1');
    job.reply['status'] = 'running';
    job.reply['epochs_completed'] = 0;
    job.reply['progress'] = { estimate_available: true, seconds_remaining: 90 };
    job.events.push(togetherEvent('training_start', 'Training started'));
    job.events.push(
      togetherEvent('checkpoint_save', 'Checkpoint saved', { step: 3, total_steps: 12 }),
    );
    await expect.poll(() => trainedSteps(page)).toEqual({ step: 3, total: 12 });
    expect(await shownText(page, 'train-progress')).toContain('Job ft-1: running');
    expect(await shownText(page, 'train-last-event')).toBe('Together AI: Checkpoint saved');
    // Together reports no loss: none is shown rather than a dash.
    expect(await shownText(page, 'train-progress')).toContain('epoch 0');
    expect(await shownText(page, 'train-progress')).not.toContain('loss');
    await expect.poll(cellState).toBe('job running · step 3 / 12');
    await shot('train-together-running');

    job.reply['status'] = 'completed';
    job.reply['epochs_completed'] = 1;
    job.reply['updated_at'] = '2026-11-21T10:05:00.000Z';
    job.reply['progress'] = null;
    job.events.push(togetherEvent('job_complete', 'Job finished', { step: 12, total_steps: 12 }));
    await page.getByTestId('train-result').waitFor({ timeout: 30_000 });
    expect(await shownText(page, 'train-result')).toBe(
      'Fine-tuned model: acct/Meta-Llama-3-8B-ft-1',
    );
    expect(await trainedSteps(page)).toEqual({ step: 12, total: 12 });
    await expect.poll(cellState).toBe('job succeeded');
    await shot('train-together');

    const stored = (await storedData(page)).jobs;
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      remoteJobId: 'ft-1',
      endpointId: together.baseUrl,
      status: 'succeeded',
    });
    expect(stored[0]!.events.map((e) => e.message)).toEqual([
      'Fine tune request created',
      'Training started',
      'Checkpoint saved',
      'Job finished',
    ]);
  });

  it('refuses a file of weighted rows before uploading anything', async () => {
    together.requests.length = 0;
    await page.getByTestId('train-file-input').setInputFiles({
      name: 'weighted.jsonl',
      mimeType: 'application/jsonl',
      buffer: jsonl(WEIGHTED),
    });
    await page.getByTestId('train-file-summary').waitFor();
    expect(await shownText(page, 'train-file-summary')).toContain(
      '3 prompt/completion rows, weighted',
    );
    await page.getByTestId('train-start').click();
    const weighted = await trainError(page);
    expect(weighted.kind).toBe('bad-request');
    // Checked in this browser: no trainer refused anything.
    expect(weighted.text).toMatch(
      /^weighted\.jsonl: Together AI's fine-tuning API has no per-row weights/,
    );
    expect(weighted.text).toContain('(3 rows)');
    expect(weighted.text).toContain('nothing was uploaded');
    expect(weighted.text).toContain('train weighted sets on the reference trainer');
    await shot('train-together-weighted');
    expect(together.requests).toEqual([]);
    expect(together.jobs.size).toBe(1);
    expect((await storedData(page)).jobs).toHaveLength(1);
  });

  it('uploads a file whose rows weigh 1, and cancels its job from the cell', async () => {
    await page.getByTestId('train-file-input').setInputFiles({
      name: 'ones.jsonl',
      mimeType: 'application/jsonl',
      buffer: jsonl(UNWEIGHTED),
    });
    await expect.poll(() => shownText(page, 'train-start')).toBe('Fine-tune on ones.jsonl');
    await page.getByTestId('train-start').click();
    await expect.poll(() => together.jobs.size).toBe(2);
    expect(await page.getByTestId('train-error').count()).toBe(0);
    const upload = together.requests.find((r) => r.path === '/v1/files/upload');
    expect(upload?.form?.['file_name']).toBe('ones.jsonl');
    const sent = (upload?.form?.['file'] ?? '')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
    expect(sent).toEqual(UNWEIGHTED.map(({ prompt, completion }) => ({ prompt, completion })));

    const job = together.job('ft-2');
    job.reply['status'] = 'running';
    job.events.push(togetherEvent('training_start', 'Training started'));
    job.events.push(
      togetherEvent('checkpoint_save', 'Checkpoint saved', { step: 2, total_steps: 8 }),
    );
    await expect.poll(() => trainedSteps(page)).toEqual({ step: 2, total: 8 });

    await page.getByTestId('train-cancel').click();
    await expect.poll(calls).toContain('POST /v1/fine-tunes/ft-2/cancel');
    // Together takes the request (cancel_requested) and cancels a moment later.
    expect(job.reply['status']).toBe('cancel_requested');
    job.reply['status'] = 'cancelled';
    job.events.push(togetherEvent('job_cancelled', 'Job cancelled'));
    const notice = page.getByTestId('train-notice');
    await notice.waitFor({ timeout: 30_000 });
    expect(await shownText(page, 'train-notice')).toBe(
      'Job ft-2 was cancelled at step 2 of 8. The run and its kept set in this browser are unchanged; start a new job when you are ready.',
    );
    await expect.poll(cellState).toBe('job cancelled');
    expect(await page.getByTestId('train-error').count()).toBe(0);
    expect(await page.getByTestId('train-cancel').isDisabled()).toBe(true);
    await shot('train-together-cancelled');

    const stored = (await storedData(page)).jobs;
    expect(stored.map((j) => j.status)).toEqual(['succeeded', 'cancelled']);

    // The wrong key's 401 is the only failed request the page made.
    expect(problems.filter((p) => !p.includes('401'))).toEqual([]);
  });
});
