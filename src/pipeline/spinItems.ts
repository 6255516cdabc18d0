// The prompts of a SPIN series with their human reference responses (method §12's "real" side),
// read through the data layer: the task's train rows with their rationales, or the notebook's
// D_v. The reference is the human rationale exactly as D_v's reference reads (toy-arith: the
// generator's rationale; gsm8k: "<<…>>" removed and "####" turned into "The answer is").

import type { Recipe } from '../core/notebook';
import type { LoadedDataset } from '../data/datasets/dataset';
import type { HubOptions } from '../data/datasets/hub';
import type { SpinItem, SpinSource } from './spin';

export interface SpinItemsOptions {
  /** The D_v file chosen in the Dataset cell, when the notebook takes D_v from a file. */
  validationFile?: { name: string; dataset: LoadedDataset } | null;
  hub?: HubOptions;
}

function hubDataset(recipe: Recipe) {
  return {
    task: recipe.task,
    repo: recipe.dataset.id,
    ...(recipe.dataset.config === null ? {} : { config: recipe.dataset.config }),
    revision: recipe.dataset.revision,
  };
}

/**
 * Rows [start, start + count) of the source: 'train' reads those rows of the train split
 * (toy-arith built in, other tasks from the Hub: only tasks whose rows carry a rationale);
 * 'validation' takes those items of the notebook's D_v (a slice of the dataset, or its file).
 */
export async function loadSpinItems(
  recipe: Recipe,
  kind: SpinSource['kind'],
  start: number,
  count: number,
  options: SpinItemsOptions = {},
): Promise<{ source: SpinSource; items: SpinItem[] }> {
  if (!Number.isInteger(start) || start < 0 || !Number.isInteger(count) || count < 1) {
    throw new Error('Choose a first row ≥ 0 and at least one prompt.');
  }
  const builtin = recipe.task === 'toy-arith' && recipe.dataset.id === 'toy-arith';
  let loaded: LoadedDataset;
  // D_v is loaded whole (it is small), then items [start, start + count) are taken.
  let offset = 0;
  if (kind === 'train') {
    const slice = { start, end: start + count };
    if (builtin) {
      const { loadToyArithValidation } = await import('../data/datasets/toyArith');
      loaded = loadToyArithValidation('train', slice, recipe.dataset.revision);
    } else {
      const { loadHubValidation } = await import('../data/datasets/hub');
      loaded = await loadHubValidation(
        { ...hubDataset(recipe), split: 'train', slice },
        options.hub,
      );
    }
  } else {
    offset = start;
    const validation = recipe.validation;
    if (validation.source === 'file') {
      const file = options.validationFile;
      if (!file || file.name !== validation.name) {
        throw new Error(
          `D_v comes from the file "${validation.name}": choose it in the Dataset cell.`,
        );
      }
      loaded = file.dataset;
    } else if (builtin) {
      const { loadToyArithValidation } = await import('../data/datasets/toyArith');
      loaded = loadToyArithValidation(validation.split, validation.slice, recipe.dataset.revision);
    } else {
      const { loadHubValidation } = await import('../data/datasets/hub');
      loaded = await loadHubValidation(
        { ...hubDataset(recipe), split: validation.split, slice: validation.slice },
        options.hub,
      );
    }
  }
  const rows = loaded.validationItems.slice(offset, offset + count);
  if (rows.length === 0) {
    throw new Error(`${loaded.dataset.name} has no item ${start}: choose an earlier first row.`);
  }
  return {
    source: {
      kind,
      task: recipe.task,
      label:
        kind === 'train'
          ? loaded.dataset.name
          : `D_v ${loaded.dataset.name}, items ${offset}–${offset + rows.length - 1}`,
      start,
      count: rows.length,
    },
    items: rows.map((item) => ({
      row: item.row,
      prompt: item.question,
      reference: item.reference,
    })),
  };
}
