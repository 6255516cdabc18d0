// A recipe whose D_q (or D_v) comes from a file: the caller supplies the read file, which is used
// only when its SHA-256 is the pinned one, with the recipe's column mapping and slice.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { defaultRecipe } from '../../../src/core/notebook/defaults';
import type { Recipe } from '../../../src/core/notebook';
import { readTableFile, type TableFile } from '../../../src/data/datasets/files';
import {
  loadRecipeDatasets,
  loadRecipeQuestions,
  questionsFromFile,
  validationFromFile,
} from '../../../src/data/datasets/recipe';
import { DataError } from '../../../src/data/errors';

const QUESTION_ROWS = [
  { prompt_text: 'Ann has 2 pears. She buys 5 more. How many pears does Ann have now?', gold: 7 },
  { prompt_text: 'Bo has 9 cups. He breaks 3. How many cups does Bo have now?', gold: 6 },
  { prompt_text: 'Cy has 4 kites. He gets 4 more. How many kites does Cy have now?', gold: 8 },
];
const QUESTIONS_TEXT = QUESTION_ROWS.map((row) => JSON.stringify(row)).join('\n');
const VALIDATION_TEXT = [
  'q,why,a',
  '"Dee has 1 hat. She gets 2 more. How many hats does Dee have now?","1 + 2 = 3.",3',
].join('\n');

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

async function table(text: string, name: string): Promise<TableFile> {
  return readTableFile(new Blob([text]), name);
}

function recipeWithFile(pin: string | null): Recipe {
  const recipe = defaultRecipe();
  recipe.dataset.slice = { start: 1, end: null };
  recipe.dataset.file = {
    name: 'questions.jsonl',
    sha256: pin,
    mapping: { kind: 'columns', question: 'prompt_text', answer: 'gold', rationale: null },
  };
  return recipe;
}

function caught(fn: () => unknown): DataError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DataError);
    return error as DataError;
  }
  throw new Error('expected a DataError');
}

describe('D_q from a file', () => {
  it('uses the pinned file with the recipe’s mapping, its slice selecting rows of the file', async () => {
    const file = await table(QUESTIONS_TEXT, 'questions.jsonl');
    expect(file.sha256).toBe(sha256(QUESTIONS_TEXT));
    const loaded = await loadRecipeQuestions(recipeWithFile(sha256(QUESTIONS_TEXT)), {
      questionsFile: file,
    });
    expect(loaded.questions.map((q) => [q.row, q.question, q.gold])).toEqual([
      [1, QUESTION_ROWS[1]!.prompt_text, '6'],
      [2, QUESTION_ROWS[2]!.prompt_text, '8'],
    ]);
    expect(loaded.dataset.source).toMatchObject({
      kind: 'file',
      fileName: 'questions.jsonl',
      sha256: sha256(QUESTIONS_TEXT),
      mapping: { kind: 'columns', question: 'prompt_text', answer: 'gold' },
    });
  });

  it('refuses a file whose SHA-256 is not the pinned one, naming both', async () => {
    const pinned = sha256('the file the notebook was made with');
    const other = await table(QUESTIONS_TEXT, 'other.jsonl');
    const error = caught(() => questionsFromFile(recipeWithFile(pinned), other));
    expect(error.code).toBe('file-pin-mismatch');
    expect(error.message).toBe(
      `other.jsonl is not the questions file the notebook pins: its SHA-256 is ${sha256(QUESTIONS_TEXT)}, while the notebook's questions.jsonl has SHA-256 ${pinned}. Choose the file the notebook was made with.`,
    );
    // Unpinned, the same file is taken.
    expect(questionsFromFile(recipeWithFile(null), other).questions).toHaveLength(2);
  });

  it('asks for the file when none is supplied, and ignores one the recipe does not name', async () => {
    const pin = sha256(QUESTIONS_TEXT);
    const recipe = recipeWithFile(pin);
    const missing = await loadRecipeQuestions(recipe).then(
      () => null,
      (error: unknown) => error,
    );
    expect(missing).toBeInstanceOf(DataError);
    expect((missing as DataError).code).toBe('file-needed');
    expect((missing as DataError).message).toBe(
      `This notebook takes its questions (D_q) from the file questions.jsonl (SHA-256 ${pin}): choose that file.`,
    );
    // The task's dataset again: the built-in generator, whatever file is at hand.
    const builtin = defaultRecipe();
    builtin.dataset.slice = { start: 0, end: 2 };
    const file = await table(QUESTIONS_TEXT, 'questions.jsonl');
    const loaded = await loadRecipeQuestions(builtin, { questionsFile: file });
    expect(loaded.dataset.source.kind).toBe('builtin');
  });

  it('reports a mapping that does not fit the file with its columns', async () => {
    const recipe = recipeWithFile(null);
    recipe.dataset.file!.mapping = {
      kind: 'columns',
      question: 'question',
      answer: null,
      rationale: null,
    };
    const file = await table(QUESTIONS_TEXT, 'questions.jsonl');
    const error = caught(() => questionsFromFile(recipe, file));
    expect(error.code).toBe('file-columns');
    expect(error.message).toBe(
      'questions.jsonl has no column "question"; its columns are: prompt_text, gold.',
    );
    // Without a mapping in the recipe, the proposed one: no column looks like a question here.
    delete recipe.dataset.file!.mapping;
    expect(caught(() => questionsFromFile(recipe, file)).message).toMatch(
      /^questions\.jsonl: No column looks like the question/,
    );
  });
});

describe('D_v from a file', () => {
  it('checks the pin and applies the recipe’s mapping; loadRecipeDatasets takes both files', async () => {
    const recipe = recipeWithFile(sha256(QUESTIONS_TEXT));
    recipe.validation = {
      source: 'file',
      name: 'dv.csv',
      sha256: sha256(VALIDATION_TEXT),
      mapping: { kind: 'columns', question: 'q', answer: 'a', rationale: 'why' },
    };
    const questions = await table(QUESTIONS_TEXT, 'questions.jsonl');
    const validation = await table(VALIDATION_TEXT, 'dv.csv');
    const loaded = await loadRecipeDatasets(recipe, {
      questionsFile: questions,
      validationFile: validation,
    });
    expect(loaded.questions.questions).toHaveLength(2);
    expect(loaded.validationFile).toBeNull();
    expect(loaded.validation?.validationItems.map((v) => v.reference)).toEqual([
      '1 + 2 = 3. The answer is 3.',
    ]);

    const withoutDv = await loadRecipeDatasets(recipe, { questionsFile: questions });
    expect(withoutDv.validation).toBeNull();
    expect(withoutDv.validationFile).toEqual({ name: 'dv.csv', sha256: sha256(VALIDATION_TEXT) });

    const stale = structuredClone(recipe);
    if (stale.validation.source === 'file') stale.validation.sha256 = sha256('older');
    const error = caught(() => validationFromFile(stale, validation));
    expect(error.code).toBe('file-pin-mismatch');
    expect(error.message).toContain('dv.csv is not the validation file the notebook pins');
    expect(error.message).toContain(sha256('older'));
    expect(error.message).toContain(sha256(VALIDATION_TEXT));
  });
});
