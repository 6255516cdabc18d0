// Loading the datasets a recipe names: D_q from recipe.dataset and D_v from recipe.validation,
// from the built-in generator, the Hugging Face Hub, or files the user supplies. A recipe names a
// file (and pins its SHA-256) but never holds its rows: the caller reads the file and hands it
// in, and it is used only when its hash is the pinned one. Without it, D_q cannot be loaded and
// D_v comes back as the file's name and pin, for the caller to ask the user.

import type { FileColumnMapping, Recipe } from '../../core/notebook/schema';
import type { TaskId } from '../../core/types';
import { DataError } from '../errors';
import type { DatasetKind } from '../records';
import type { LoadedDataset } from './dataset';
import type { TableFile } from './files';
import { loadHubQuestions, loadHubValidation, type HubOptions } from './hub';
import { proposeMapping, tableToDataset } from './mapping';
import { loadToyArithQuestions, loadToyArithValidation } from './toyArith';

/** A file as a recipe names it: its name and pinned SHA-256 (null: any file). */
export interface PinnedFile {
  name: string;
  sha256: string | null;
}

/** Files the user supplied for the recipe, already read (files.ts readTableFile). */
export interface RecipeFiles {
  /** The file the recipe takes D_q from, when it names one. */
  questionsFile?: TableFile | null;
  /** The file the recipe takes D_v from, when it names one. */
  validationFile?: TableFile | null;
}

export type RecipeLoadOptions = HubOptions & RecipeFiles;

export interface RecipeDatasets {
  questions: LoadedDataset;
  /** D_v, or null when the recipe takes it from a file that was not supplied. */
  validation: LoadedDataset | null;
  /** The D_v file to ask the user for (when `validation` is null), else null. */
  validationFile: PinnedFile | null;
}

const isBuiltin = (recipe: Recipe): boolean => recipe.dataset.id === 'toy-arith';

const ROLE_WORDS: Record<DatasetKind, string> = {
  questions: 'questions',
  validation: 'validation',
};

function pinText(file: PinnedFile): string {
  return file.sha256 === null ? '' : ` (SHA-256 ${file.sha256})`;
}

/**
 * Throws unless `file` is the file the recipe pins. The message names both files and both
 * hashes, so that the user can tell which one they have.
 */
export function checkPinnedFile(
  kind: DatasetKind,
  pinned: PinnedFile,
  file: { name: string; sha256: string },
): void {
  if (pinned.sha256 === null || pinned.sha256 === file.sha256) return;
  throw new DataError(
    'file-pin-mismatch',
    `${file.name} is not the ${ROLE_WORDS[kind]} file the notebook pins: its SHA-256 is ${file.sha256}, while the notebook's ${pinned.name} has SHA-256 ${pinned.sha256}. Choose the file the notebook was made with.`,
  );
}

/** The recipe's mapping, or the one proposed from the file's column names. */
function mappingFor(
  table: TableFile,
  kind: DatasetKind,
  task: TaskId,
  mapping: FileColumnMapping | undefined,
): FileColumnMapping {
  if (mapping !== undefined) return mapping;
  const proposal = proposeMapping(table.columns, { kind, task });
  if (proposal.mapping === null) {
    throw new DataError('file-columns', `${table.name}: ${proposal.reason}`);
  }
  return proposal.mapping;
}

/**
 * D_q from a file: the recipe's pin checked, its mapping (or the proposed one) applied and its
 * slice selecting rows of the file. A recipe that names no file takes the file as it comes.
 */
export function questionsFromFile(recipe: Recipe, table: TableFile): LoadedDataset {
  const pinned = recipe.dataset.file ?? null;
  if (pinned !== null) checkPinnedFile('questions', pinned, table);
  return tableToDataset(table, {
    kind: 'questions',
    task: recipe.task,
    mapping: mappingFor(table, 'questions', recipe.task, pinned?.mapping),
    slice: recipe.dataset.slice,
  });
}

/**
 * D_v from a file: the recipe's pin and mapping when it names a file (all its rows), else the
 * recipe's validation slice of the file.
 */
export function validationFromFile(recipe: Recipe, table: TableFile): LoadedDataset {
  const source = recipe.validation;
  if (source.source === 'file') checkPinnedFile('validation', source, table);
  return tableToDataset(table, {
    kind: 'validation',
    task: recipe.task,
    mapping: mappingFor(
      table,
      'validation',
      recipe.task,
      source.source === 'file' ? source.mapping : undefined,
    ),
    ...(source.source === 'dataset' ? { slice: source.slice } : {}),
  });
}

function hubOptionsOf(options: RecipeLoadOptions): HubOptions {
  const { questionsFile: _questions, validationFile: _validation, ...hub } = options;
  return hub;
}

export async function loadRecipeQuestions(
  recipe: Recipe,
  options: RecipeLoadOptions = {},
): Promise<LoadedDataset> {
  const { dataset } = recipe;
  if (dataset.file) {
    if (!options.questionsFile) {
      throw new DataError(
        'file-needed',
        `This notebook takes its questions (D_q) from the file ${dataset.file.name}${pinText(dataset.file)}: choose that file.`,
      );
    }
    return questionsFromFile(recipe, options.questionsFile);
  }
  if (isBuiltin(recipe))
    return loadToyArithQuestions(dataset.split, dataset.slice, dataset.revision);
  return loadHubQuestions(
    {
      task: recipe.task,
      repo: dataset.id,
      ...(dataset.config === null ? {} : { config: dataset.config }),
      split: dataset.split,
      slice: dataset.slice,
      revision: dataset.revision,
    },
    hubOptionsOf(options),
  );
}

export async function loadRecipeDatasets(
  recipe: Recipe,
  options: RecipeLoadOptions = {},
): Promise<RecipeDatasets> {
  const questions = await loadRecipeQuestions(recipe, options);
  const { validation, dataset } = recipe;
  if (validation.source === 'file') {
    if (options.validationFile) {
      return {
        questions,
        validation: validationFromFile(recipe, options.validationFile),
        validationFile: null,
      };
    }
    return {
      questions,
      validation: null,
      validationFile: { name: validation.name, sha256: validation.sha256 },
    };
  }
  const items = isBuiltin(recipe)
    ? loadToyArithValidation(validation.split, validation.slice, dataset.revision)
    : await loadHubValidation(
        {
          task: recipe.task,
          repo: dataset.id,
          ...(dataset.config === null ? {} : { config: dataset.config }),
          split: validation.split,
          slice: validation.slice,
          revision: dataset.revision,
        },
        hubOptionsOf(options),
      );
  return { questions, validation: items, validationFile: null };
}
