// The schemas of a run bundle's files (format version 2), used to validate every row of an
// imported bundle before anything is written. Numbers that JSON cannot hold (NaN, ±Infinity,
// e.g. a loss that overflowed) are written as the strings "NaN", "Infinity", "-Infinity".
//
// Version 2 added the run's `engine`, each candidate's `finishReason` and the 'cancelled' status.
// Version 1 bundles lack the two fields; they read as null (not recorded).

import { z } from 'zod';
import { ENGINE_KINDS, recipeSchema } from '../core/notebook/schema';
import { TASK_IDS } from '../core/types';
import { FINISH_REASONS, RUN_STATUSES } from './records';

export const BUNDLE_FORMAT = 'iwsi-run-bundle';
/** The bundle format version this build writes and the newest it reads. */
export const BUNDLE_VERSION = 2;

/** JSON.stringify replacer keeping non-finite numbers as strings. */
export function bundleJsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

/** A number, or one written as "NaN" / "Infinity" / "-Infinity". */
const num = z.union([
  z.number(),
  z.enum(['NaN', 'Infinity', '-Infinity']).transform((text) => Number(text)),
]);
const count = z.number().int().min(0);
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters');
const plainObject = z.record(z.string(), z.unknown());

const sliceSchema = z.object({ start: count, end: count.nullable() });

const columnMapping = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('task'), task: z.enum(TASK_IDS) }),
  z.object({
    kind: z.literal('columns'),
    question: z.string(),
    answer: z.string().nullable(),
    rationale: z.string().nullable(),
  }),
]);

const datasetSource = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('hub'),
    repo: z.string(),
    config: z.string().nullable(),
    split: z.string(),
    revision: z.string(),
    commit: z.string().nullable(),
    via: z.enum(['parquet', 'rows']),
  }),
  z.object({
    kind: z.literal('file'),
    fileName: z.string(),
    format: z.enum(['jsonl', 'csv', 'parquet']),
    bytes: count,
    sha256,
    mapping: columnMapping,
  }),
  z.object({
    kind: z.literal('builtin'),
    generator: z.literal('toy-arith'),
    version: z.string(),
    split: z.string(),
  }),
]);

export const datasetSchema = z.object({
  id: z.string().min(1),
  kind: z.enum(['questions', 'validation']),
  task: z.enum(TASK_IDS).nullable(),
  name: z.string(),
  source: datasetSource,
  slice: sliceSchema,
  count,
  createdAt: z.number(),
});

export const questionSchema = z.object({
  datasetId: z.string().min(1),
  row: count,
  question: z.string(),
  gold: z.string().nullable(),
  raw: plainObject,
});

export const validationItemSchema = z.object({
  datasetId: z.string().min(1),
  row: count,
  question: z.string(),
  reference: z.string(),
  answer: z.string().nullable(),
  raw: plainObject,
});

const notice = z.object({
  code: z.string(),
  level: z.enum(['info', 'warning']),
  message: z.string(),
});

const filterSummary = z.object({
  label: z.string(),
  kept: count,
  eligible: count,
  candidates: count,
  questionsKept: count,
  threshold: num.nullable(),
  notices: z.array(notice),
});

const stageProgress = z.object({ done: count, total: count, updatedAt: z.number() });

const runEngine = z.object({
  kind: z.enum(ENGINE_KINDS),
  modelId: z.string(),
  device: z.string(),
  version: z.string().nullable(),
  eosToken: z.string(),
});

export const runSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  recipe: recipeSchema,
  recipeHash: sha256,
  questionsDatasetId: z.string().nullable(),
  validationDatasetId: z.string().nullable(),
  status: z.enum(RUN_STATUSES),
  progress: z.record(z.string(), stageProgress),
  results: z.object({ lv: num.nullable(), filters: z.record(z.string(), filterSummary) }),
  createdAt: z.number(),
  updatedAt: z.number(),
  error: z.object({ message: z.string(), stage: z.string().nullable(), at: z.number() }).nullable(),
  engine: runEngine.nullable().default(null),
});

const extractionRule = z.enum([
  'the-answer-is',
  'last-equals',
  'first-number',
  'hash-marker',
  'last-number-fallback',
  'choice-letter',
  'last-choice-fallback',
  'none',
]);

const answer = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('numeric'), raw: z.string(), value: num }),
  z.object({ kind: z.literal('choice'), raw: z.string(), value: z.string() }),
]);

/** candidates.jsonl: what was generated and read from it. */
export const candidateTextSchema = z.object({
  questionId: count,
  index: count,
  raw: z.string(),
  text: z.string(),
  answer: answer.nullable(),
  rule: extractionRule,
  tokens: count.nullable(),
  finishReason: z.enum(FINISH_REASONS).nullable().default(null),
});

/** scores.jsonl: the scores and everything derived from them, aligned with candidates.jsonl. */
export const candidateScoreSchema = z.object({
  questionId: count,
  index: count,
  loss: num.nullable(),
  selfScore: num.nullable(),
  reward: num.nullable(),
  mark: z.union([z.literal(0), z.literal(1)]).nullable(),
  wPrime: num.nullable(),
  ds: num.nullable(),
  decisions: z.record(z.string(), z.union([z.literal(0), z.literal(1)])),
});

export const validationLossSchema = z.object({ row: count, loss: num, tokens: count.nullable() });

export const trainerJobSchema = z.object({
  id: z.string().min(1),
  runId: z.string().nullable(),
  endpointId: z.string(),
  remoteJobId: z.string().nullable(),
  kind: z.string(),
  status: z.string(),
  events: z.array(z.object({ at: z.number(), type: z.string(), message: z.string() })),
  metrics: z.record(z.string(), z.array(z.object({ step: num, value: num }))),
  createdAt: z.number(),
  updatedAt: z.number(),
});

export const manifestSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  version: z.number().int().min(1),
  createdAt: z.string(),
  generator: z.string(),
  run: z.object({ id: z.string(), name: z.string(), recipeHash: sha256, task: z.enum(TASK_IDS) }),
  recipe: recipeSchema,
  counts: z.object({
    datasets: count,
    questions: count,
    validationItems: count,
    candidates: count,
    validationLosses: count,
    trainerJobs: count,
  }),
  /** The official-layout files included (those the run has data for). */
  official: z.array(z.string()),
  files: z.array(z.object({ path: z.string(), bytes: count, sha256 })),
});

export type BundleManifest = z.infer<typeof manifestSchema>;
