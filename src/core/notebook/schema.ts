// The notebook: a versioned, validated recipe (everything needed to redo a run) plus the UI
// state that may travel in a link. It never holds data (questions, candidates, results) and
// never a token or key: every object is strict, so an unknown field such as "apiKey" is refused
// rather than carried along, and a remote engine's address may not embed credentials.

import { z } from 'zod';
import { EXPORT_FORMATS } from '../export/formats';
import { FILTER_METHODS, TASK_IDS } from '../types';
import type { FilterSpec } from '../types';
import { NOTEBOOK_VERSION } from './version';

export { NOTEBOOK_VERSION };

const MAX_ID = 200;
const MAX_EXEMPLAR_FIELD = 4000;

/** A short identifier-like string (ids, names, splits, revisions). */
const id = () => z.string().min(1).max(MAX_ID);

const sliceSchema = z
  .strictObject({
    start: z.number().int().min(0),
    /** Exclusive end; null runs to the end of the split. */
    end: z.number().int().min(0).nullable(),
  })
  .refine((slice) => slice.end === null || slice.end >= slice.start, {
    message: 'must not be before the start',
    path: ['end'],
  });

const sha256Schema = () =>
  z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters');

/**
 * How a file's columns become rows: the task's own dataset columns (read as from the Hub), or
 * the columns holding the question, the answer and (D_v only) the reference rationale.
 */
const columnMappingSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('task'), task: z.enum(TASK_IDS) }),
  z.strictObject({
    kind: z.literal('columns'),
    question: id(),
    answer: id().nullable(),
    rationale: id().nullable(),
  }),
]);

/** D_q from a file the user supplies: the notebook names it and pins its content, never its rows. */
const questionsFileSchema = z
  .strictObject({
    name: id(),
    /** SHA-256 (hex) of the file's bytes; null accepts any file (hand-written notebooks). */
    sha256: sha256Schema().nullable(),
    /** Absent: the mapping the data layer proposes from the column names. */
    mapping: columnMappingSchema.optional(),
  })
  .refine((file) => file.mapping?.kind !== 'columns' || file.mapping.rationale === null, {
    message: 'must be null: questions have no reference rationale',
    path: ['mapping', 'rationale'],
  });

const datasetSchema = z
  .strictObject({
    /** Hugging Face dataset id (e.g. "gsm8k") or a built-in one ("toy-arith"). */
    id: id(),
    /** A branch, tag or commit of the dataset repository (built-in data: its generator version). */
    revision: id(),
    /** Dataset configuration (gsm8k: "main"), or null. */
    config: id().nullable(),
    split: id(),
    /** Rows of the split, or of the file when D_q comes from one. */
    slice: sliceSchema,
    /**
     * D_q from a user-supplied file instead of the dataset above (which stays as the place
     * "back to the task's dataset" returns to). Absent or null: the dataset; a null is dropped
     * when read, so that both forms hash alike and every older notebook stays valid.
     */
    file: questionsFileSchema.nullable().optional(),
  })
  .overwrite((dataset) => {
    if (dataset.file !== null) return dataset;
    const { file: _none, ...rest } = dataset;
    return rest;
  });

const validationSchema = z.discriminatedUnion('source', [
  /** A slice of a split of the same dataset (gsm8k: train[7099:]). */
  z.strictObject({ source: z.literal('dataset'), split: id(), slice: sliceSchema }),
  /** A file the user supplies; the notebook names it and may pin its content. */
  z.strictObject({
    source: z.literal('file'),
    name: id(),
    sha256: sha256Schema().nullable(),
    /** Absent: the mapping the data layer proposes from the column names. */
    mapping: columnMappingSchema.optional(),
  }),
]);

const NO_CREDENTIALS_MESSAGE =
  'must be a plain http(s) URL without user name, password, query or fragment (notebooks never carry keys or tokens)';

/** True for an http(s) URL that cannot smuggle a credential. */
function isPlainHttpUrl(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  return (
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    url.username === '' &&
    url.password === '' &&
    url.search === '' &&
    url.hash === '' &&
    !text.includes('?') &&
    !text.includes('#')
  );
}

export const ENGINE_KINDS = ['webllm', 'transformers', 'remote'] as const;
export type EngineKind = (typeof ENGINE_KINDS)[number];

const engineSchema = z
  .strictObject({
    kind: z.enum(ENGINE_KINDS),
    /** Model id as the engine knows it (web-llm model record, Hub id, or the server's name). */
    modelId: id(),
    /** The model's revision or build (web-llm library version, Hub commit), or null. */
    version: id().nullable(),
    /** Remote engine only: the OpenAI-compatible server, e.g. "http://localhost:8000/v1". */
    baseUrl: z.string().max(500).refine(isPlainHttpUrl, NO_CREDENTIALS_MESSAGE).nullable(),
  })
  .refine((engine) => engine.kind === 'remote' || engine.baseUrl === null, {
    message: 'must be null unless the engine is remote',
    path: ['baseUrl'],
  });

const exemplarSchema = z.strictObject({
  question: z.string().min(1).max(MAX_EXEMPLAR_FIELD),
  rationale: z.string().max(MAX_EXEMPLAR_FIELD),
  answer: z.string().min(1).max(200),
});

const promptSchema = z.strictObject({
  /** Edited few-shot exemplars, or null for the task's own. */
  exemplars: z.array(exemplarSchema).min(1).max(8).nullable(),
});

const samplingSchema = z.strictObject({
  /** Candidates per question. */
  m: z.number().int().min(1).max(64),
  temperature: z.number().min(0).max(5),
  /** Prompt + generation, in tokens. */
  maxTokens: z.number().int().min(16).max(32768),
  seed: z.number().int().min(0).max(0xffffffff),
});

const evaluationSchema = z.strictObject({
  split: id(),
  slice: sliceSchema,
  /** Greedy decoding budget (prompt + generation), in tokens. */
  maxTokens: z.number().int().min(16).max(32768),
});

const fraction = z.number().min(0).max(1);

// z.lazy for the recursive intersection; the annotation keeps the inferred type exact.
export const filterSpecSchema: z.ZodType<FilterSpec> = z.lazy(() =>
  z.discriminatedUnion('method', [
    z.strictObject({ method: z.literal('lmsi') }),
    z.strictObject({ method: z.literal('entropy'), u: fraction }),
    z.strictObject({ method: z.literal('self'), k: fraction }),
    z.strictObject({ method: z.literal('rm'), k: fraction }),
    z.strictObject({ method: z.literal('iwsi'), k: fraction }),
    z.strictObject({ method: z.literal('groundtruth') }),
    z.strictObject({
      method: z.literal('intersection'),
      of: z.array(filterSpecSchema).min(2).max(FILTER_METHODS.length),
    }),
  ]),
);

const exportSchema = z.strictObject({
  format: z.enum(EXPORT_FORMATS),
  /** Add each row's training weight to the exported rows. */
  includeWeight: z.boolean(),
});

const trainerSchema = z.strictObject({
  lora: z.strictObject({
    r: z.number().int().min(1).max(1024),
    alpha: z.number().min(0).max(4096),
    dropout: z.number().min(0).max(1),
    targetModules: z.array(id()).min(1).max(32),
  }),
  learningRate: z.number().gt(0).max(1),
  schedule: z.enum(['cosine', 'linear', 'constant']),
  warmupRatio: fraction,
  epochs: z.number().int().min(1).max(100),
  batchSize: z.number().int().min(1).max(1024),
  gradientAccumulation: z.number().int().min(1).max(1024),
  /** Training sequence length in tokens (official: 400). */
  maxLength: z.number().int().min(16).max(32768),
  seed: z.number().int().min(0).max(0xffffffff),
  spin: z.strictObject({
    beta: z.number().gt(0).max(100),
    /** The SPIN iteration to run next (0: start from the SFT model). */
    iteration: z.number().int().min(0).max(100),
    /** Epochs per iteration (absent: the official 3). */
    epochs: z.number().int().min(1).max(100).optional(),
    /** New tokens per generated response (absent: the official 256). */
    maxNewTokens: z.number().int().min(1).max(4096).optional(),
  }),
});

export const recipeSchema = z.strictObject({
  task: z.enum(TASK_IDS),
  dataset: datasetSchema,
  validation: validationSchema,
  engine: engineSchema,
  prompt: promptSchema,
  sampling: samplingSchema,
  evaluation: evaluationSchema,
  extractionMode: z.enum(['faithful', 'clean']),
  lossMode: z.enum(['faithful', 'clean']),
  /** The first filter is the one exported and trained on; the others are compared with it. */
  filters: z.array(filterSpecSchema).min(1).max(8),
  export: exportSchema,
  trainer: trainerSchema,
});

const controlId = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,63}$/, 'must be a lowercase id such as "generate"');

/** The UI state a link may carry (never data): which cell is open, teaching mode, hidden controls. */
export const uiStateSchema = z.strictObject({
  openCell: controlId.nullable(),
  teaching: z.boolean(),
  hiddenControls: z.array(controlId).max(64),
});

export const notebookSchema = z.strictObject({
  version: z.literal(NOTEBOOK_VERSION),
  /** Shown where the notebook is opened; not part of the recipe's hash. */
  title: z.string().max(200),
  recipe: recipeSchema,
  ui: uiStateSchema,
});

export type Recipe = z.infer<typeof recipeSchema>;
export type UiState = z.infer<typeof uiStateSchema>;
export type Notebook = z.infer<typeof notebookSchema>;
export type DatasetRef = Recipe['dataset'];
export type QuestionsFile = NonNullable<DatasetRef['file']>;
export type FileColumnMapping = z.infer<typeof columnMappingSchema>;
export type ValidationSource = Recipe['validation'];
export type EngineSettings = Recipe['engine'];
export type TrainerSettings = Recipe['trainer'];
