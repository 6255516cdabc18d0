import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  defaultNotebook,
  defaultRecipe,
  migrateNotebook,
  nearestValidNotebook,
  NotebookError,
  notebookSchema,
  parseNotebook,
  recipeHash,
} from '../../../src/core/notebook';
import { sha256Hex } from '../../../src/core/notebook/sha256';
import { createRng } from '../../../src/core/rng';
import { looseCopy, randomNotebook } from './randomNotebook';

describe('defaults', () => {
  it('are a valid notebook with the paper settings and the offline toy-arith setup', () => {
    const notebook = parseNotebook(defaultNotebook());
    expect(notebook.recipe.task).toBe('toy-arith');
    expect(notebook.recipe.engine).toEqual({
      kind: 'transformers',
      modelId: 'toy-arith',
      version: null,
      baseUrl: null,
    });
    expect(notebook.recipe.sampling).toMatchObject({ m: 15, temperature: 1.1, maxTokens: 1024 });
    expect(notebook.recipe.evaluation.maxTokens).toBe(800);
    expect(notebook.recipe.filters[0]).toEqual({ method: 'iwsi', k: 0.79 });
    expect(notebook.recipe.trainer).toMatchObject({
      lora: {
        r: 64,
        alpha: 16,
        dropout: 0.05,
        targetModules: ['q_proj', 'v_proj', 'down_proj', 'gate_proj', 'up_proj'],
      },
      learningRate: 3e-4,
      schedule: 'cosine',
      warmupRatio: 0,
      epochs: 4,
      batchSize: 1,
      gradientAccumulation: 4,
      maxLength: 400,
      seed: 114514,
      spin: { beta: 0.1, iteration: 0 },
    });
  });
});

describe('migrations', () => {
  it('upgrade step by step to the current version without touching the input', () => {
    const v1 = { version: 1, title: 'old' };
    const table = {
      1: (nb: Record<string, unknown>) => ({ ...nb, added: true }),
      2: (nb: Record<string, unknown>) => ({ ...nb, title: `${String(nb.title)}!` }),
    };
    expect(migrateNotebook(v1, table, 3)).toEqual({ version: 3, title: 'old!', added: true });
    expect(v1).toEqual({ version: 1, title: 'old' });
  });

  it('refuse newer versions, missing versions and gaps in the table', () => {
    const newer = (() => {
      try {
        migrateNotebook({ version: 4 }, {}, 3);
      } catch (error) {
        return error;
      }
    })();
    expect(newer).toBeInstanceOf(NotebookError);
    expect((newer as NotebookError).kind).toBe('newer-version');
    expect(() => migrateNotebook({ title: 'x' })).toThrow(
      /version: must be a whole number from 1 to 1, got nothing/,
    );
    expect(() => migrateNotebook({ version: 1 }, {}, 2)).toThrow(/no migration from it exists/);
  });
});

describe('nearestValidNotebook', () => {
  it('keeps every valid field, drops the invalid ones and says which', () => {
    const raw = looseCopy(defaultNotebook());
    raw.title = 'Shared run';
    raw.recipe.task = 'gsm8k';
    raw.recipe.sampling.m = 500; // invalid
    raw.recipe.sampling.temperature = 0.7; // valid sibling of an invalid field: kept
    raw.recipe.engine.token = 'hunter2'; // never kept
    delete raw.recipe.lossMode; // missing: default
    raw.ui.teaching = 'yes'; // invalid

    const { notebook, dropped, defaulted } = nearestValidNotebook(raw);
    expect(notebookSchema.safeParse(notebook).success).toBe(true);
    expect(notebook.title).toBe('Shared run');
    expect(notebook.recipe.task).toBe('gsm8k');
    expect(notebook.recipe.sampling.temperature).toBe(0.7);
    expect(notebook.recipe.sampling.m).toBe(15);
    expect(notebook.recipe.lossMode).toBe('faithful');
    expect(notebook.ui.teaching).toBe(false);
    expect(JSON.stringify(notebook)).not.toContain('hunter2');
    expect(dropped).toEqual(
      expect.arrayContaining([
        'recipe.sampling.m: must be at most 64, got 500 (default used)',
        'recipe.engine.token: is not allowed (notebooks never hold keys or tokens)',
        'ui.teaching: must be true or false, got "yes" (default used)',
      ]),
    );
    expect(dropped).toHaveLength(3);
    expect(defaulted).toEqual(['recipe.lossMode']);
  });

  it('resets an object whose fields are valid alone but not together', () => {
    const raw = structuredClone(defaultNotebook());
    raw.recipe.engine.baseUrl = 'http://localhost:8000/v1'; // only a remote engine has one
    const { notebook, dropped } = nearestValidNotebook(raw);
    expect(notebook.recipe.engine).toEqual(defaultRecipe().engine);
    expect(dropped).toEqual([
      'recipe.engine.baseUrl: must be null unless the engine is remote (recipe.engine reset to its default)',
    ]);
  });

  it('returns valid notebooks unchanged and never throws on junk', () => {
    const rng = createRng(11);
    for (let i = 0; i < 30; i++) {
      const notebook = randomNotebook(rng.fork(i));
      expect(nearestValidNotebook(notebook)).toEqual({ notebook, dropped: [], defaulted: [] });
    }
    for (const junk of [null, 42, 'text', [], { version: 9, recipe: 'x' }]) {
      const { notebook, dropped } = nearestValidNotebook(junk);
      expect(notebookSchema.safeParse(notebook).success).toBe(true);
      expect(dropped.length).toBeGreaterThan(0);
    }
  });
});

describe('recipeHash', () => {
  it('is SHA-256 of the canonical JSON', () => {
    const recipe = defaultRecipe();
    const expected = createHash('sha256').update(canonicalJson(recipe)).digest('hex');
    expect(recipeHash(recipe)).toBe(expected);
    for (const length of [0, 1, 55, 56, 64, 119, 1000]) {
      const bytes = new Uint8Array(length).map((_, i) => (i * 37 + 11) & 255);
      expect(sha256Hex(bytes)).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
  });

  it('ignores key order, title and UI state but sees every recipe change', () => {
    const notebook = defaultNotebook();
    const reordered = Object.fromEntries(
      Object.entries(notebook.recipe).reverse(),
    ) as typeof notebook.recipe;
    expect(recipeHash(reordered)).toBe(recipeHash(notebook.recipe));
    const rng = createRng(5);
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) seen.add(recipeHash(randomNotebook(rng.fork(i)).recipe));
    expect(seen.size).toBe(50);
    const changed = structuredClone(notebook.recipe);
    changed.sampling.temperature = 1.0;
    expect(recipeHash(changed)).not.toBe(recipeHash(notebook.recipe));
  });

  it('carries SPIN epochs and response length when set, and keeps older links valid without them', () => {
    const recipe = defaultRecipe();
    expect(recipe.trainer.spin.epochs).toBeUndefined();
    const withSpin = structuredClone(recipe);
    withSpin.trainer.spin.epochs = 2;
    withSpin.trainer.spin.maxNewTokens = 128;
    expect(notebookSchema.shape.recipe.parse(withSpin).trainer.spin).toEqual({
      beta: 0.1,
      iteration: 0,
      epochs: 2,
      maxNewTokens: 128,
    });
    expect(recipeHash(withSpin)).not.toBe(recipeHash(recipe));
    const bad = structuredClone(recipe);
    bad.trainer.spin.epochs = 0;
    expect(() => recipeHash(bad)).toThrow(/recipe\.trainer\.spin\.epochs/);
  });

  it('refuses an invalid recipe', () => {
    const bad = { ...defaultRecipe(), task: 'chess' } as unknown as ReturnType<
      typeof defaultRecipe
    >;
    expect(() => recipeHash(bad)).toThrow(/recipe\.task: must be one of/);
  });
});
