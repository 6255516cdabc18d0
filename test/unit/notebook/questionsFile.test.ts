// D_q from a user-supplied file: the recipe's optional dataset.file ({name, sha256, mapping?}).
// Older notebooks (without it) stay valid and keep their hash; new ones round-trip through the
// link; the notebook holds the name, the pin and the column mapping, never a row.
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  decodeNotebook,
  defaultNotebook,
  encodeNotebook,
  nearestValidNotebook,
  NotebookError,
  parseNotebook,
  recipeHash,
  type Notebook,
} from '../../../src/core/notebook';
import { sha256Hex } from '../../../src/core/notebook/sha256';
import { looseCopy } from './randomNotebook';

const HASH = 'ab'.repeat(32);

function withQuestionsFile(): Notebook {
  const notebook = defaultNotebook();
  notebook.recipe.dataset.file = {
    name: 'my-questions.jsonl',
    sha256: HASH,
    mapping: { kind: 'columns', question: 'prompt_text', answer: 'gold', rationale: null },
  };
  return notebook;
}

function issuesOf(raw: unknown): readonly string[] {
  try {
    parseNotebook(raw);
  } catch (error) {
    if (error instanceof NotebookError) return error.issues;
    throw error;
  }
  throw new Error('expected the notebook to be refused');
}

describe('a notebook whose D_q is a file', () => {
  it('accepts older notebooks without the field, unchanged and with the same hash', () => {
    const old = looseCopy(defaultNotebook());
    expect('file' in old.recipe.dataset).toBe(false);
    const parsed = parseNotebook(old);
    expect('file' in parsed.recipe.dataset).toBe(false);
    expect(parsed).toEqual(old);
    // The hash of a recipe written before the field existed: SHA-256 of its canonical JSON.
    const expected = sha256Hex(new TextEncoder().encode(canonicalJson(old.recipe)));
    expect(recipeHash(parsed.recipe)).toBe(expected);
  });

  it('reads an explicit null as absent, so both forms hash alike', () => {
    const raw = looseCopy(defaultNotebook());
    raw.recipe.dataset.file = null;
    const parsed = parseNotebook(raw);
    expect('file' in parsed.recipe.dataset).toBe(false);
    expect(recipeHash(raw.recipe as Notebook['recipe'])).toBe(recipeHash(defaultNotebook().recipe));
  });

  it('accepts a named file with its pin and mapping, and the hash sees each of them', () => {
    const notebook = withQuestionsFile();
    expect(parseNotebook(looseCopy(notebook))).toEqual(notebook);
    const base = recipeHash(notebook.recipe);
    expect(base).not.toBe(recipeHash(defaultNotebook().recipe));

    const otherPin = structuredClone(notebook);
    otherPin.recipe.dataset.file!.sha256 = 'cd'.repeat(32);
    const otherMapping = structuredClone(notebook);
    otherMapping.recipe.dataset.file!.mapping = { kind: 'task', task: 'toy-arith' };
    const noMapping = structuredClone(notebook);
    delete noMapping.recipe.dataset.file!.mapping;
    const unpinned = structuredClone(notebook);
    unpinned.recipe.dataset.file!.sha256 = null;
    const hashes = [otherPin, otherMapping, noMapping, unpinned].map((n) => {
      expect(parseNotebook(looseCopy(n))).toEqual(n);
      return recipeHash(n.recipe);
    });
    expect(new Set([base, ...hashes]).size).toBe(5);
  });

  it('refuses a bad pin, rows or a rationale column, naming the field', () => {
    const badHash = looseCopy(withQuestionsFile());
    badHash.recipe.dataset.file.sha256 = 'ABC';
    expect(issuesOf(badHash)).toEqual([
      'recipe.dataset.file.sha256: must be 64 lowercase hex characters',
    ]);

    const withRows = looseCopy(withQuestionsFile());
    withRows.recipe.dataset.file.rows = [{ question: 'What is 1 + 1?' }];
    expect(issuesOf(withRows)).toEqual(['recipe.dataset.file.rows: is not a notebook field']);

    const withRationale = looseCopy(withQuestionsFile());
    withRationale.recipe.dataset.file.mapping.rationale = 'why';
    expect(issuesOf(withRationale)).toEqual([
      'recipe.dataset.file.mapping.rationale: must be null: questions have no reference rationale',
    ]);

    const noName = looseCopy(withQuestionsFile());
    noName.recipe.dataset.file.name = '';
    expect(issuesOf(noName)).toEqual(['recipe.dataset.file.name: must not be empty']);
  });

  it('keeps a D_v file’s mapping, and older D_v files without one', () => {
    const notebook = defaultNotebook();
    notebook.recipe.validation = { source: 'file', name: 'dv.csv', sha256: HASH };
    expect(parseNotebook(looseCopy(notebook))).toEqual(notebook);
    notebook.recipe.validation.mapping = {
      kind: 'columns',
      question: 'q',
      answer: 'a',
      rationale: 'why',
    };
    expect(parseNotebook(looseCopy(notebook))).toEqual(notebook);
  });

  it('round-trips through the link', async () => {
    const notebook = withQuestionsFile();
    notebook.recipe.validation = {
      source: 'file',
      name: 'dv.jsonl',
      sha256: null,
      mapping: { kind: 'task', task: 'gsm8k' },
    };
    const fragment = await encodeNotebook(notebook);
    const decoded = await decodeNotebook(`https://example.org/#${fragment}`);
    expect(decoded).toEqual(notebook);
    expect(recipeHash(decoded.recipe)).toBe(recipeHash(notebook.recipe));
  });

  it('repairs around the field: absent is not "defaulted", a bad one is dropped with a reason', () => {
    const old = nearestValidNotebook(looseCopy(defaultNotebook()));
    expect(old.dropped).toEqual([]);
    expect(old.defaulted).toEqual([]);
    expect('file' in old.notebook.recipe.dataset).toBe(false);

    const bad = looseCopy(withQuestionsFile());
    bad.recipe.dataset.file.sha256 = 'not a hash';
    bad.recipe.dataset.split = 'test';
    const repaired = nearestValidNotebook(bad);
    expect(repaired.notebook.recipe.dataset.split).toBe('test');
    expect('file' in repaired.notebook.recipe.dataset).toBe(false);
    expect(repaired.dropped).toEqual([
      'recipe.dataset.file.sha256: must be 64 lowercase hex characters (default used)',
    ]);
  });
});
