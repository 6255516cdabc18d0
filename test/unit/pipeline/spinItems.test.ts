// The prompts of a SPIN series and their real side: the human rationales of the task's train
// rows (toy-arith built in; gsm8k from a stand-in for the Hub's rows API) or of the notebook's
// D_v (a dataset slice, or the chosen file).
import { describe, expect, it } from 'vitest';
import { defaultNotebook, type Recipe } from '../../../src/core/notebook';
import { toyArithSplit } from '../../../src/core/tasks/toyArithData';
import { loadToyArithValidation } from '../../../src/data/datasets/toyArith';
import { loadSpinItems } from '../../../src/pipeline/spinItems';

const toyRecipe = (): Recipe => defaultNotebook().recipe;

/** gsm8k's train rows as the datasets-server rows API serves them (main only, no Parquet). */
function fakeHub(rows: { question: string; answer: string }[]) {
  const requests: string[] = [];
  const fetch = async (input: string | URL | Request): Promise<Response> => {
    const url = new URL(String(input));
    requests.push(url.pathname + url.search);
    if (url.pathname === '/api/datasets/gsm8k/revision/main') {
      return Response.json({ sha: 'a'.repeat(40), siblings: [{ rfilename: 'README.md' }] });
    }
    if (url.pathname === '/rows') {
      const offset = Number(url.searchParams.get('offset'));
      const length = Number(url.searchParams.get('length'));
      return Response.json({
        rows: rows
          .slice(offset, offset + length)
          .map((row, i) => ({ row_idx: offset + i, row, truncated_cells: [] })),
        num_rows_total: rows.length,
      });
    }
    return Response.json({ error: 'not found' }, { status: 404 });
  };
  return {
    requests,
    options: { hubUrl: 'http://hub.test', datasetsServerUrl: 'http://rows.test', fetch },
  };
}

describe('the prompts of a SPIN series', () => {
  it('takes toy-arith train rows with their rationales as the real responses', async () => {
    const { source, items } = await loadSpinItems(toyRecipe(), 'train', 5, 3);
    const rows = toyArithSplit('train').slice(5, 8);
    expect(items).toEqual(
      rows.map((row, i) => ({ row: 5 + i, prompt: row.question, reference: row.rationale })),
    );
    expect(source).toMatchObject({ kind: 'train', task: 'toy-arith', start: 5, count: 3 });
    expect(source.label).toContain('train[5:8]');
  });

  it('takes gsm8k train rows from the Hub with the human rationale in D_v form', async () => {
    const recipe = toyRecipe();
    recipe.task = 'gsm8k';
    recipe.dataset = {
      id: 'gsm8k',
      config: 'main',
      revision: 'main',
      split: 'train',
      slice: { start: 0, end: 7099 },
    };
    const hub = fakeHub(
      Array.from({ length: 6 }, (_, i) => ({
        question: `Question ${i}?`,
        answer: `She has ${i} + 2 = <<${i}+2=${i + 2}>>${i + 2} pens.\n#### ${i + 2}`,
      })),
    );
    const { items } = await loadSpinItems(recipe, 'train', 2, 2, { hub: hub.options });
    expect(items).toEqual([
      { row: 2, prompt: 'Question 2?', reference: 'She has 2 + 2 = 4 pens.\nThe answer is 4' },
      { row: 3, prompt: 'Question 3?', reference: 'She has 3 + 2 = 5 pens.\nThe answer is 5' },
    ]);
    expect(hub.requests.some((r) => r.startsWith('/rows?') && r.includes('split=train'))).toBe(
      true,
    );
  });

  it('takes items of the notebook’s D_v, from its slice or from the chosen file', async () => {
    const recipe = toyRecipe();
    const { source, items } = await loadSpinItems(recipe, 'validation', 1, 2);
    const dv = toyArithSplit('validation');
    expect(items.map((i) => i.reference)).toEqual([dv[1]!.rationale, dv[2]!.rationale]);
    expect(source.label).toMatch(/^D_v .*items 1–2$/);

    recipe.validation = { source: 'file', name: 'dv.jsonl', sha256: null };
    await expect(loadSpinItems(recipe, 'validation', 0, 2)).rejects.toThrow(/dv\.jsonl/);
    const file = loadToyArithValidation('test', { start: 0, end: 4 });
    const fromFile = await loadSpinItems(recipe, 'validation', 2, 5, {
      validationFile: { name: 'dv.jsonl', dataset: file },
    });
    expect(fromFile.items.map((i) => i.prompt)).toEqual(
      file.validationItems.slice(2).map((i) => i.question),
    );
    expect(fromFile.source.count).toBe(2);
  });

  it('says when the choice selects no prompt', async () => {
    await expect(loadSpinItems(toyRecipe(), 'train', 0, 0)).rejects.toThrow(/at least one/);
    const dvSize = toyArithSplit('validation').length;
    await expect(loadSpinItems(toyRecipe(), 'validation', dvSize, 1)).rejects.toThrow(/no item/);
  });
});
