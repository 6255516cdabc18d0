// A 100,000-candidate run on screen: the page stays responsive (no main-thread task over a
// budget while the run opens and while k is dragged), the lists are windowed, and the heavy
// derivation happens in the analysis worker.
import { mount, tick, unmount } from 'svelte';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { page } from 'vitest/browser';
import { defaultNotebook, encodeNotebook } from '../../../src/core/notebook';
import { createRng } from '../../../src/core/rng';
import { newRunRecord } from '../../../src/pipeline/runner';
import { builtinInputs } from '../../../src/pipeline/builtinInputs';
import type { CandidateRow, RunRecord } from '../../../src/pipeline/types';
import App from '../../../src/ui/App.svelte';
import '../../../src/ui/global.css';
import { runState } from '../../../src/ui/state/app.svelte';
import { recipeHash } from '../../../src/core/notebook';

const QUESTIONS = 6667;
const M = 15;

async function until<T>(probe: () => T | null | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (performance.now() > deadline) throw new Error('Timed out waiting for the page.');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a 100,000-candidate run', () => {
  let app: ReturnType<typeof mount>;
  let run: RunRecord;
  const longTasks: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) longTasks.push(entry.duration);
  });

  beforeAll(async () => {
    await page.viewport(1280, 900);
    const notebook = defaultNotebook();
    notebook.recipe.dataset.slice = { start: 0, end: QUESTIONS };
    notebook.recipe.sampling.m = M;
    const inputs = builtinInputs(notebook.recipe);
    run = newRunRecord(`large-${Date.now()}`, notebook.recipe, recipeHash(notebook.recipe));
    run.status = 'done';
    run.stage = 'done';
    run.model = {
      kind: 'transformers',
      modelId: 'stand-in',
      device: 'none',
      version: null,
      eosToken: '</s>',
    };
    await runState.store.createRun(run, inputs);
    await runState.store.saveRun(run);
    const rng = createRng(7);
    const rows: CandidateRow[] = [];
    for (const q of inputs.questions) {
      for (let index = 0; index < M; index++) {
        const value = rng.int(0, 3);
        rows.push({
          runId: run.id,
          questionId: q.id,
          index,
          raw: ` We count ${'one '.repeat(rng.int(1, 30))}step. The answer is ${value}.`,
          cleaned: `We count step. The answer is ${value}.`,
          answer: { kind: 'numeric', raw: String(value), value },
          rule: 'the-answer-is',
          tokens: 20,
          finishReason: 'stop',
          loss: 0.5 + rng.next(),
          selfScore: null,
          reward: null,
        });
      }
    }
    await runState.store.putCandidates(rows);
    await runState.store.putValidationLosses(
      run.id,
      inputs.validation.map((v) => ({ itemId: v.id, loss: 1 })),
    );
    history.replaceState(null, '', `#${await encodeNotebook(notebook)}`);
    observer.observe({ type: 'longtask' });
    const target = document.createElement('div');
    document.body.append(target);
    app = mount(App, { target });
  }, 240_000);

  afterAll(async () => {
    observer.disconnect();
    unmount(app);
    await runState.store.deleteRun(run.id);
  });

  it('opens, derives off the main thread and windows its lists', async () => {
    await until(
      () => runState.snapshot?.scored && runState.snapshot.candidateCount === QUESTIONS * M,
    );
    expect(runState.snapshot?.questionCount).toBe(QUESTIONS);
    await tick();
    const stream = document.querySelector('[data-testid="stream"]');
    expect(Number(stream?.getAttribute('data-count'))).toBe(QUESTIONS * M);
    // Windowed: a few dozen rows exist, not 100,000.
    expect(stream?.querySelectorAll('[role="listitem"]').length).toBeLessThan(60);
    const questions = document.querySelector('[data-testid="vote-questions"]');
    expect(questions?.querySelectorAll('[role="listitem"]').length).toBeLessThan(60);
    console.log(`long tasks while opening: ${longTasks.map((t) => Math.round(t)).join(', ')}`);
  });

  it('moves the threshold within one frame while k is dragged', async () => {
    const slider = document.querySelector<HTMLInputElement>('[data-testid="k-slider"]');
    expect(slider).not.toBeNull();
    const times: number[] = [];
    let last = '';
    for (const k of [0.3, 0.5, 0.7, 0.9, 0.6]) {
      const started = performance.now();
      slider!.value = String(k);
      slider!.dispatchEvent(new Event('input', { bubbles: true }));
      await tick();
      times.push(performance.now() - started);
      const kept = document.querySelector('[data-testid="kept-count"]')?.textContent ?? '';
      expect(kept).not.toBe(last);
      last = kept;
    }
    console.log(`k drag updates (ms): ${times.map((t) => t.toFixed(1)).join(', ')}`);
    // The median, so that one hiccup of a busy test machine does not decide.
    const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)] as number;
    expect(median).toBeLessThan(50);
  });
});
