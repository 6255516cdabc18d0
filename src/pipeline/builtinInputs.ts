// The inputs of a run on a built-in dataset (toy-arith): questions of the recipe's split and
// slice with their gold answers, and D_v from the validation split with its reference
// rationales. Other datasets are loaded by the data layer.
import type { Recipe } from '../core/notebook';
import { toyArithSplit, type ToyArithSplit } from '../core/tasks/toyArithData';
import type { RunInputs } from './types';

const SPLITS: readonly ToyArithSplit[] = ['train', 'validation', 'test'];

export class InputsError extends Error {
  override readonly name = 'InputsError';
}

function split(name: string): ToyArithSplit {
  if (!(SPLITS as readonly string[]).includes(name)) {
    throw new InputsError(`toy-arith has the splits ${SPLITS.join(', ')}, not "${name}".`);
  }
  return name as ToyArithSplit;
}

/** The built-in generator's questions (not a file the recipe names instead). */
export function isBuiltinDataset(recipe: Recipe): boolean {
  return recipe.task === 'toy-arith' && recipe.dataset.id === 'toy-arith' && !recipe.dataset.file;
}

export function builtinInputs(recipe: Recipe): RunInputs {
  if (!isBuiltinDataset(recipe)) {
    throw new InputsError(`"${recipe.dataset.id}" is not a built-in dataset.`);
  }
  const { slice } = recipe.dataset;
  const questions = toyArithSplit(split(recipe.dataset.split))
    .slice(slice.start, slice.end ?? undefined)
    .map((item) => ({ id: item.id, question: item.question, gold: String(item.answer) }));
  if (recipe.validation.source !== 'dataset') {
    throw new InputsError(
      'The validation set comes from a file; load it in the Dataset cell before running.',
    );
  }
  const validation = toyArithSplit(split(recipe.validation.split))
    .slice(recipe.validation.slice.start, recipe.validation.slice.end ?? undefined)
    .map((item) => ({ id: item.id, question: item.question, rationale: item.rationale }));
  return { questions, validation };
}
