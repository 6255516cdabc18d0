// The Train cell when things go wrong, against the real Python reference trainer: an address
// where nothing listens, a trainer that refuses the app's origin (CORS), a wrong token, a
// hand-edited training file with a broken line, a file the trainer itself refuses, a job
// cancelled from the cell, the trainer stopped and started again mid-job, and the page reloaded
// mid-job. Each gives a message that says what happened and what to do, and nothing stored in
// the browser is lost: the run's candidates stay, every job keeps its record, and the jobs the
// trainer persisted are shown with their real state. Screenshots of each state go to
// test-results/screenshots/train-*.png.
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TrainerClient } from '../../src/trainer';
import { launchBrowser, openPage, screenshotDir } from './browser';
import {
  connect,
  freePort,
  generateRun,
  recordRequests,
  shownText,
  startTrainer,
  storedData,
  trainedSteps,
  trainError,
  trainerFixture,
  trainingNotebookUrl,
  UI_TOKEN,
} from './train-setup';
import type { PythonTrainer } from './train-setup';

/** Epochs of every job here: long enough to cancel, restart and reload mid-job. */
const EPOCHS = 60;

describe('the Train cell when things go wrong', () => {
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let requests: ReturnType<typeof recordRequests>;
  let fixture: ReturnType<typeof trainerFixture>;
  let appOrigin: string;
  let trainer: PythonTrainer;
  let trainerPort: number;
  /** The trainer as a Node client sees it (no Origin: what it really holds). */
  let direct: TrainerClient;
  /** Run data in the browser before any training. */
  let before: { runs: number; candidates: number };

  const dataDir = () => join(fixture.dir, 'data');
  const cell = () => page.locator('#cell-train');
  const shot = (name: string) => cell().screenshot({ path: join(screenshotDir, `${name}.png`) });
  const cellState = () => shownText(page, 'cell-train-state');

  beforeAll(async () => {
    fixture = trainerFixture();
    appOrigin = new URL(inject('baseUrl')).origin;
    trainerPort = await freePort();
    trainer = await startTrainer({
      modelDir: fixture.modelDir,
      dataDir: dataDir(),
      allowOrigins: [appOrigin],
      port: trainerPort,
    });
    direct = new TrainerClient({ baseUrl: trainer.url, token: UI_TOKEN });
    browser = await launchBrowser();
    ({ page, problems } = await openPage(browser));
    requests = recordRequests(page);
    await page.goto(
      await trainingNotebookUrl(inject('baseUrl'), (n) => (n.recipe.trainer.epochs = EPOCHS)),
    );
    await generateRun(page);
    const { runs, candidates } = await storedData(page);
    before = { runs, candidates };
    expect(before.runs).toBe(1);
    expect(before.candidates).toBe(9);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await trainer?.stop();
    fixture?.remove();
  });

  it('tells an unreachable trainer, a CORS refusal and a wrong token apart, sending nothing', async () => {
    // Nothing listens at this address.
    const closed = `http://127.0.0.1:${await freePort()}`;
    await connect(page, closed, UI_TOKEN);
    const down = await trainError(page);
    expect(down.kind).toBe('unreachable');
    expect(down.text).toContain(`Cannot reach the trainer at ${closed}`);
    await shot('train-error-unreachable');

    // A trainer that lets another origin in.
    const other = await startTrainer({
      modelDir: fixture.modelDir,
      dataDir: join(fixture.dir, 'data-other'),
      allowOrigins: ['http://elsewhere.test:5173'],
    });
    try {
      await connect(page, other.url, UI_TOKEN);
      await expect.poll(async () => (await trainError(page)).kind).toBe('cors');
      const cors = await trainError(page);
      expect(cors.text).toContain(`The trainer at ${other.url} is running but refuses requests`);
      expect(cors.text).toContain(`origin ${appOrigin} (CORS)`);
      expect(cors.text).toContain(`Restart it with --allow-origin ${appOrigin}`);
      expect(cors.text).not.toContain('Cannot reach');
      await shot('train-error-cors');
      expect(requests.to(new URL(other.url).origin).every((r) => r === 'GET /v1/version')).toBe(
        true,
      );
    } finally {
      await other.stop();
    }

    // The right trainer, the wrong token.
    await connect(page, trainer.url, 'wrong-token');
    await expect.poll(async () => (await trainError(page)).kind).toBe('unauthorized');
    const token = await trainError(page);
    expect(token.text).toContain(`The trainer at ${trainer.url} refused the token`);
    expect(token.text).toContain('Enter the token the trainer was started with');
    expect(token.text).not.toContain('wrong-token');
    expect(await page.getByTestId('trainer-connected').count()).toBe(0);
    expect(await page.getByTestId('train-start').isDisabled()).toBe(true);
    await shot('train-error-token');

    // Only the endpoint check reached the trainer; fixing the token connects.
    expect(requests.to(new URL(trainer.url).origin)).toEqual(['GET /v1/version']);
    await connect(page, trainer.url, UI_TOKEN);
    await page.getByTestId('trainer-connected').waitFor();
    expect(await page.getByTestId('train-error').count()).toBe(0);
    expect(await page.getByTestId('train-start').isDisabled()).toBe(false);
  });

  it('refuses a broken training file at its line before uploading, and shows the trainer refusing a file', async () => {
    requests.clear();
    const row = (i: number) =>
      JSON.stringify({ prompt: `Q: ${i} + 1?\nA: </s>`, completion: `${i + 1}.` });
    const edited = [
      row(1),
      row(2),
      JSON.stringify({ prompt: 'Q: 3 + 1?\nA: </s>', completion: 4 }),
    ];
    await page.getByTestId('train-file-input').setInputFiles({
      name: 'edited.jsonl',
      mimeType: 'application/jsonl',
      buffer: Buffer.from(edited.join('\n')),
    });
    const fileError = page.getByTestId('train-file-error');
    await fileError.waitFor();
    expect(await shownText(page, 'train-file-error')).toBe(
      'edited.jsonl: line 3: field "completion" must be a text, got a number. Nothing was uploaded: fix the file and choose it again.',
    );
    expect(await shownText(page, 'train-start')).toBe('Fine-tune on the kept set');
    await shot('train-error-file-line');

    // Chat rows are a valid supervised file, but the toy model has no chat template.
    const chat = [1, 2].map((i) =>
      JSON.stringify({
        messages: [
          { role: 'user', content: `${i} + 1?` },
          { role: 'assistant', content: `${i + 1}.` },
        ],
      }),
    );
    await page.getByTestId('train-file-input').setInputFiles({
      name: 'chat.jsonl',
      mimeType: 'application/jsonl',
      buffer: Buffer.from(chat.join('\n')),
    });
    await page.getByTestId('train-file-summary').waitFor();
    expect(await page.getByTestId('train-file-error').count()).toBe(0);
    expect(await shownText(page, 'train-file-summary')).toContain('2 chat messages rows');
    expect(await shownText(page, 'train-start')).toBe('Fine-tune on chat.jsonl');
    await page.getByTestId('train-start').click();
    const refused = await trainError(page);
    expect(refused.kind).toBe('bad-request');
    expect(refused.text).toContain('The trainer refused the training file chat.jsonl:');
    expect(refused.text).toContain('the toy model has no chat template');
    expect(refused.text).toContain('the run and its kept set in this browser are unchanged');
    await shot('train-error-file-refused');

    // The broken file was never sent; the chat file was uploaded and refused as a job.
    expect(requests.to(new URL(trainer.url).origin)).toEqual([
      'POST /v1/files',
      'POST /v1/fine_tuning/jobs',
    ]);
    expect((await direct.listJobs()).jobs).toEqual([]);
    await page.getByTestId('train-file-clear').click();
    expect(await shownText(page, 'train-start')).toBe('Fine-tune on the kept set');
    expect(await storedData(page)).toMatchObject({ ...before, jobs: [] });
  });

  it('cancels a running job, keeps its record and the run, and starts a new one', async () => {
    await page.getByTestId('train-start').click();
    await expect
      .poll(async () => (await trainedSteps(page)).step, { timeout: 60_000 })
      .toBeGreaterThanOrEqual(2);
    await page.getByTestId('train-cancel').click();
    const notice = page.getByTestId('train-notice');
    await notice.waitFor({ timeout: 30_000 });
    expect(await shownText(page, 'train-notice')).toMatch(
      /Job ftjob-\S+ was cancelled at step \d+ of \d+\./,
    );
    expect(await shownText(page, 'train-notice')).toContain('start a new job when you are ready');
    await expect.poll(cellState).toBe('job cancelled');
    expect(await page.getByTestId('train-error').count()).toBe(0);
    await shot('train-cancelled');

    const { jobs } = await direct.listJobs();
    expect(jobs.map((j) => j.status)).toEqual(['cancelled']);
    const stored = await storedData(page);
    expect(stored).toMatchObject(before);
    expect(stored.jobs).toHaveLength(1);
    expect(stored.jobs[0]).toMatchObject({
      remoteJobId: jobs[0]!.id,
      endpointId: trainer.url,
      status: 'cancelled',
    });
    expect(stored.jobs[0]!.metrics['train_loss']!.length).toBeGreaterThanOrEqual(2);

    // A new job starts from the same kept set.
    await page.getByTestId('train-start').click();
    await expect.poll(async () => (await direct.listJobs()).jobs.length).toBe(2);
    await expect
      .poll(async () => (await trainedSteps(page)).step, { timeout: 60_000 })
      .toBeGreaterThanOrEqual(1);
    expect(await page.getByTestId('train-notice').count()).toBe(0);
  });

  it('shows the trainer gone mid-job, re-attaches when it restarts, and the job ends with its real state', async () => {
    const { jobs } = await direct.listJobs();
    const running = jobs[0]!;
    await expect
      .poll(async () => (await trainedSteps(page)).step, { timeout: 60_000 })
      .toBeGreaterThanOrEqual(3);
    await trainer.stop();

    const outage = page.getByTestId('train-outage');
    await outage.waitFor({ timeout: 30_000 });
    const lost = await shownText(page, 'train-outage');
    expect(lost).toContain(
      `Lost the connection to the trainer at ${trainer.url} while following job ${running.id}`,
    );
    expect(lost).toContain('nothing answers at that address any more');
    expect(lost).toContain('re-attaches when the trainer answers again');
    expect(await cellState()).toBe('trainer not answering: retrying');
    await shot('train-trainer-gone');

    trainer = await startTrainer({
      modelDir: fixture.modelDir,
      dataDir: dataDir(),
      allowOrigins: [appOrigin],
      port: trainerPort,
    });
    const notice = page.getByTestId('train-notice');
    await notice.waitFor({ timeout: 60_000 });
    expect(await shownText(page, 'train-notice')).toContain(
      `re-attached to job ${running.id} after`,
    );
    expect(await outage.count()).toBe(0);
    await shot('train-reattached');

    await page.getByTestId('train-result').waitFor({ timeout: 240_000 });
    const finished = await direct.getJob(running.id);
    expect(finished.status).toBe('succeeded');
    expect(await cellState()).toBe('job succeeded');
    expect(await shownText(page, 'train-result')).toContain(finished.fine_tuned_model!);
    const { step, total } = await trainedSteps(page);
    expect(step).toBe(finished.iwsi.progress.total_steps);
    expect(total).toBe(finished.iwsi.progress.total_steps);

    // The record holds the trainer's whole story, each event once; the run is untouched.
    const stored = await storedData(page);
    expect(stored).toMatchObject(before);
    const record = stored.jobs.find((j) => j.remoteJobId === running.id)!;
    expect(record.status).toBe('succeeded');
    const events = await direct.eventsAfter(running.id, null);
    expect(record.events.map((e) => e.message)).toEqual(events.map((e) => e.message));
    expect(record.events.some((e) => e.message.includes('restarted'))).toBe(true);
  });

  it('re-attaches to a running job after a page reload', async () => {
    await page.getByTestId('train-start').click();
    await expect.poll(async () => (await direct.listJobs()).jobs.length).toBe(3);
    const running = (await direct.listJobs()).jobs[0]!;
    await expect
      .poll(async () => (await trainedSteps(page)).step, { timeout: 60_000 })
      .toBeGreaterThanOrEqual(2);

    await page.reload();
    // The run comes back, the tab's endpoint connects by itself and the watch resumes.
    await page.getByTestId('trainer-connected').waitFor({ timeout: 60_000 });
    await expect
      .poll(() => shownText(page, 'train-progress'), { timeout: 30_000 })
      .toContain(`Job ${running.id}: running`);
    await shot('train-reloaded-reattached');
    await page.getByTestId('train-result').waitFor({ timeout: 240_000 });
    expect((await direct.getJob(running.id)).status).toBe('succeeded');

    const stored = await storedData(page);
    expect(stored).toMatchObject(before);
    expect(stored.jobs.map((j) => j.status)).toEqual(['cancelled', 'succeeded', 'succeeded']);
    const record = stored.jobs[2]!;
    expect(record.remoteJobId).toBe(running.id);
    const events = await direct.eventsAfter(running.id, null);
    expect(record.events.map((e) => e.message)).toEqual(events.map((e) => e.message));

    // Every failure the page met was one of the trainer's, on purpose.
    const trainerHosts = /127\.0\.0\.1:\d+\/v1\/|Failed to load resource|blocked by CORS policy/;
    expect(problems.filter((p) => !trainerHosts.test(p))).toEqual([]);
  });
});
