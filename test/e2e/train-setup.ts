// Shared set-up of the Train cell's end-to-end tests: the real Python reference trainer with a
// tiny toy model, a notebook whose small run surely keeps rows to train on, the run generated
// on the embedded model from the Generate cell, connecting from the Train cell, a log of what
// the page sent the trainer, and what the page's IndexedDB holds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page, Request } from 'playwright-core';
import { defaultNotebook, encodeNotebook } from '../../src/core/notebook';
import type { Notebook } from '../../src/core/notebook';
import { freePort, makeTinyModel, PythonTrainer } from '../unit/trainer/pythonTrainer';
import { requireEmbeddedModel } from './browser';

export { freePort, MODEL_ID, PythonTrainer } from '../unit/trainer/pythonTrainer';

export const UI_TOKEN = 'ui-test-token';

/** A temporary folder with the tiny toy model the trainers serve; `remove` deletes it. */
export function trainerFixture(): { dir: string; modelDir: string; remove: () => void } {
  requireEmbeddedModel();
  const dir = mkdtempSync(join(tmpdir(), 'iwsi-ui-trainer-'));
  const modelDir = join(dir, 'model');
  makeTinyModel(modelDir);
  return { dir, modelDir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The reference trainer on 127.0.0.1 letting `allowOrigins` in (a free port unless given). */
export async function startTrainer(options: {
  modelDir: string;
  dataDir: string;
  allowOrigins: readonly string[];
  port?: number;
  token?: string;
}): Promise<PythonTrainer> {
  return PythonTrainer.start({
    modelDir: options.modelDir,
    dataDir: options.dataDir,
    port: options.port ?? (await freePort()),
    token: options.token ?? UI_TOKEN,
    allowOrigins: options.allowOrigins,
  });
}

/**
 * The app's URL with a notebook for a tiny run (3 questions × m = 3) that keeps every ranked
 * candidate, so there surely are rows to train on.
 */
export async function trainingNotebookUrl(
  baseUrl: string,
  edit: (notebook: Notebook) => void = () => undefined,
): Promise<string> {
  const notebook = defaultNotebook();
  notebook.recipe.dataset.slice = { start: 0, end: 3 };
  notebook.recipe.sampling.m = 3;
  notebook.recipe.filters = [{ method: 'iwsi', k: 1 }, { method: 'lmsi' }];
  notebook.recipe.trainer.epochs = 1;
  notebook.recipe.evaluation.maxTokens = 300;
  edit(notebook);
  return `${baseUrl}#${await encodeNotebook(notebook)}`;
}

/** Generates the notebook's run on the embedded model from the Generate cell. */
export async function generateRun(page: Page): Promise<void> {
  await page.getByTestId('run-start').click();
  // A locator wait rather than expect.poll: this also runs in beforeAll hooks.
  await page
    .getByTestId('cell-generate-state')
    .filter({ hasText: 'done' })
    .waitFor({ timeout: 180_000 });
}

/** Fills in the Train cell's address and token and presses Connect. */
export async function connect(page: Page, url: string, token: string): Promise<void> {
  await page.getByTestId('trainer-url').fill(url);
  await page.getByTestId('trainer-token').fill(token);
  await page.getByTestId('trainer-connect').click();
}

/** An element's text with runs of white space as single spaces (template line breaks). */
export async function shownText(page: Page, testId: string): Promise<string> {
  return ((await page.getByTestId(testId).textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

/** The Train cell's error once shown: its kind and its text. */
export async function trainError(page: Page): Promise<{ kind: string | null; text: string }> {
  const alert = page.getByTestId('train-error');
  await alert.waitFor();
  return {
    kind: await alert.getAttribute('data-kind'),
    text: ((await alert.textContent()) ?? '').replace(/\s+/g, ' ').trim(),
  };
}

/** The Train cell's progress bar count, "done / total", as numbers. */
export async function trainedSteps(page: Page): Promise<{ step: number; total: number }> {
  const text = (await page.getByTestId('train-progress-count').textContent()) ?? '';
  const [step, total] = text.split('/').map((part) => Number(part.trim()));
  return { step: step ?? 0, total: total ?? 0 };
}

/** Every request the page sends to any of the given origins, as "METHOD path". */
export function recordRequests(page: Page): {
  to: (origin: string) => string[];
  clear: () => void;
} {
  const seen: Request[] = [];
  page.on('request', (request) => seen.push(request));
  return {
    to: (origin) =>
      seen
        .filter((r) => new URL(r.url()).origin === origin)
        .map((r) => `${r.method()} ${new URL(r.url()).pathname}`),
    clear: () => seen.splice(0),
  };
}

export interface StoredTrainerJob {
  id: string;
  runId: string | null;
  endpointId: string;
  remoteJobId: string | null;
  status: string;
  events: { at: number; type: string; message: string }[];
  metrics: Record<string, { step: number; value: number }[]>;
  createdAt: number;
}

/** What the page's IndexedDB holds: runs, candidates and trainer job records. */
export async function storedData(
  page: Page,
): Promise<{ runs: number; candidates: number; jobs: StoredTrainerJob[] }> {
  return page.evaluate(
    () =>
      new Promise<{ runs: number; candidates: number; jobs: StoredTrainerJob[] }>(
        (resolve, reject) => {
          const open = indexedDB.open('iwsi-playground');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const db = open.result;
            const tx = db.transaction(['runs', 'candidates', 'trainerJobs'], 'readonly');
            const runs = tx.objectStore('runs').count();
            const candidates = tx.objectStore('candidates').count();
            const jobs = tx.objectStore('trainerJobs').getAll();
            tx.oncomplete = () => {
              db.close();
              resolve({
                runs: runs.result,
                candidates: candidates.result,
                jobs: (jobs.result as StoredTrainerJob[]).sort((a, b) => a.createdAt - b.createdAt),
              });
            };
            tx.onerror = () => reject(tx.error);
          };
        },
      ),
  );
}
