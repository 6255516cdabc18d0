// The notebook UI in a real browser with a run made by a deterministic stand-in engine: the
// result cells read the run through the analysis worker, k moves the threshold instantly, and
// every cell is photographed (test-results/screenshots/browser-*.png; the end-to-end tests
// take the full-size ones).
import { mount, tick, unmount } from 'svelte';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { page } from 'vitest/browser';
import { iwsiSelect } from '../../../src/core/filters';
import { defaultNotebook, encodeNotebook } from '../../../src/core/notebook';
import { createFilterContext } from '../../../src/core/filters';
import { BrowserRunController } from '../../../src/pipeline/browserRun';
import { builtinInputs } from '../../../src/pipeline/builtinInputs';
import { deriveRun } from '../../../src/pipeline/derive';
import type { RunRecord } from '../../../src/pipeline/types';
import App from '../../../src/ui/App.svelte';
import { NOTEBOOK_CELLS } from '../../../src/ui/cells';
import '../../../src/ui/global.css';
import { runState } from '../../../src/ui/state/app.svelte';
import { notebookState } from '../../../src/ui/state/notebook.svelte';
import { fakeEngine, FAKE_MODEL } from '../../unit/ui/fakeEngine';

const SHOTS = '../../../test-results/screenshots';

async function until<T>(probe: () => T | null | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (performance.now() > deadline) throw new Error('Timed out waiting for the page.');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function text(testid: string): string {
  return document.querySelector(`[data-testid="${testid}"]`)?.textContent?.trim() ?? '';
}

describe('the notebook with a finished run', () => {
  let app: ReturnType<typeof mount>;
  let run: RunRecord;
  const notebook = defaultNotebook();
  notebook.recipe.dataset.slice = { start: 0, end: 8 };
  notebook.recipe.sampling.m = 5;
  notebook.recipe.filters = [
    { method: 'iwsi', k: 0.79 },
    { method: 'lmsi' },
    { method: 'entropy', u: 0.5 },
    { method: 'groundtruth' },
  ];

  beforeAll(async () => {
    await page.viewport(1280, 900);
    // A run stored in the page's own catalog, made by the stand-in engine.
    const maker = new BrowserRunController({
      store: runState.store,
      engine: fakeEngine(),
      locks: null,
      channel: null,
    });
    run = await maker.createRun(notebook.recipe, builtinInputs(notebook.recipe));
    run = await maker.start(run.id, FAKE_MODEL);
    history.replaceState(null, '', `#${await encodeNotebook(notebook)}`);
    const target = document.createElement('div');
    document.body.append(target);
    app = mount(App, { target });
  });

  afterAll(async () => {
    unmount(app);
    await runState.store.deleteRun(run.id);
  });

  it('opens the notebook of the link and the run made with it', async () => {
    await until(() => runState.snapshot?.scored);
    expect(runState.run?.id).toBe(run.id);
    expect(notebookState.notebook.recipe.sampling.m).toBe(5);
    const titles = [...document.querySelectorAll('[data-testid="cell"] h2')].map(
      (h) => h.textContent,
    );
    expect(titles).toEqual(NOTEBOOK_CELLS.map((c) => c.title));
  });

  it('shows the same kept count as the core and moves it instantly with k', async () => {
    const inputs = builtinInputs(notebook.recipe);
    const rows = await runState.store.listCandidates(run.id);
    const losses = await runState.store.getValidationLosses(run.id);
    const derived = deriveRun(notebook.recipe, inputs, rows, losses);
    const ds = createFilterContext(derived.columns, { validLosses: derived.validLosses }).weights
      .ds;
    const expectedAt = (k: number): number => iwsiSelect(ds, k).keep.reduce((a, b) => a + b, 0);

    await until(() => text('kept-count') !== '');
    expect(Number(text('kept-count'))).toBe(expectedAt(0.79));

    const slider = document.querySelector<HTMLInputElement>('[data-testid="k-slider"]');
    expect(slider).not.toBeNull();
    slider!.value = '0.3';
    slider!.dispatchEvent(new Event('input', { bubbles: true }));
    await tick();
    expect(Number(text('kept-count'))).toBe(expectedAt(0.3));
    expect(notebookState.notebook.recipe.filters[0]).toEqual({ method: 'iwsi', k: 0.3 });
    // The compare table follows once the worker has recomputed.
    await until(() =>
      document
        .querySelector('[data-testid="compare-table"] tbody tr td')
        ?.textContent?.includes('k = 0.3'),
    );
    slider!.value = '0.79';
    slider!.dispatchEvent(new Event('input', { bubbles: true }));
    await tick();
    expect(Number(text('kept-count'))).toBe(expectedAt(0.79));
  });

  it('lists every question with its vote and the candidates of the chosen one', async () => {
    await until(() => text('vote-summary') !== '');
    expect(text('vote-summary')).toMatch(/of 8 questions have a majority answer/);
    await until(
      () => document.querySelectorAll('[data-testid="vote-detail"] tbody tr').length === 5,
    );
  });

  it('renders model text as text, never as markup', async () => {
    // Every candidate the stand-in wrote is plain text; the page holds no element it did not
    // create itself (a candidate with markup would show as characters).
    const stream = document.querySelector('[data-testid="stream"]');
    expect(stream?.querySelectorAll('script, img, iframe').length).toBe(0);
  });

  it('exports the run as a bundle and imports it back as a copy', async () => {
    const { bytes, fileName } = await runState.exportBundle();
    expect(fileName).toMatch(/^iwsi-run-.*\.zip$/);
    const before = runState.rows.length;
    await runState.importBundle(new File([bytes.slice().buffer], fileName));
    const copy = runState.run;
    expect(copy?.id).not.toBe(run.id);
    expect(copy?.id).toContain(run.id);
    expect(runState.rows.length).toBe(before);
    await until(() => runState.snapshot?.scored && runState.run?.id === copy?.id);
    await runState.deleteRun(copy!.id);
    await runState.open((await runState.store.getRun(run.id))!);
    await until(() => runState.snapshot?.scored);
  });

  it('photographs every cell', async () => {
    // Cells off screen are not laid out (content-visibility), so a chart is drawn once its cell
    // is scrolled to.
    document.getElementById('cell-filter')!.scrollIntoView();
    await until(() => document.querySelector('[data-testid="chart-ds-histogram"] canvas'));
    document.getElementById('cell-analyse')!.scrollIntoView();
    await until(() => document.querySelector('[data-testid="chart-projection"] canvas'));
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const cell of NOTEBOOK_CELLS) {
      const element = document.getElementById(`cell-${cell.id}`);
      expect(element).not.toBeNull();
      element!.scrollIntoView();
      await page.screenshot({ element: element!, path: `${SHOTS}/browser-cell-${cell.id}.png` });
    }
    notebookState.setUi({ teaching: true });
    await until(() => document.querySelector('[data-testid="explain-filter"] .katex'));
    await page.screenshot({
      element: document.getElementById('cell-filter')!,
      path: `${SHOTS}/browser-teaching-filter.png`,
    });
    notebookState.setUi({ teaching: false });
  });
});
