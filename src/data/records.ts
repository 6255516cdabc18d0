// The rows the playground stores locally (IndexedDB through Dexie in the browser) and writes
// into run bundles. Plain, structured-clone and JSON friendly data; no Dexie here, so that the
// bundle code and the CLI can use these types in Node.

import type { EngineKind, Recipe } from '../core/notebook/schema';
import type { Answer, ExtractionRule, FilterSummary, TaskId } from '../core/types';

/** A dataset holds either questions (D_q, a test split) or validation items (D_v). */
export type DatasetKind = 'questions' | 'validation';

/** Where a dataset's rows came from, precise enough to load them again. */
export type DatasetSource =
  | {
      kind: 'hub';
      /** Hugging Face dataset id, e.g. "gsm8k" or "ChilleD/SVAMP". */
      repo: string;
      config: string | null;
      split: string;
      /** The revision asked for (branch, tag or commit). */
      revision: string;
      /** The commit the revision resolved to, when the Hub said so. */
      commit: string | null;
      /** How the rows were read: Parquet files of the revision, or the datasets-server rows API. */
      via: 'parquet' | 'rows';
    }
  | {
      kind: 'file';
      fileName: string;
      format: FileFormat;
      bytes: number;
      /** SHA-256 (hex) of the file's bytes. */
      sha256: string;
      mapping: ColumnMapping;
    }
  | {
      kind: 'builtin';
      generator: 'toy-arith';
      /** The generator version (the recipe's dataset revision). */
      version: string;
      split: string;
    };

export type FileFormat = 'jsonl' | 'csv' | 'parquet';

/**
 * How a file's columns become questions: either the columns of a known task's dataset (the
 * task's own question format and gold parser, e.g. SVAMP's Body + " " + Question), or plain
 * columns holding the question text, the answer and, for D_v, a reference rationale.
 */
export type ColumnMapping =
  | { kind: 'task'; task: TaskId }
  | {
      kind: 'columns';
      question: string;
      answer: string | null;
      rationale: string | null;
    };

/** Rows [start, end) of the source split (end null: to the end). */
export interface RowSlice {
  start: number;
  end: number | null;
}

export interface DatasetRecord {
  /** Content-derived, so loading or importing the same rows twice gives the same id. */
  id: string;
  kind: DatasetKind;
  /** The task whose format the rows follow, when known. */
  task: TaskId | null;
  /** A readable name, e.g. "gsm8k/main train[0:7099]". */
  name: string;
  source: DatasetSource;
  slice: RowSlice;
  count: number;
  createdAt: number;
}

/** One question of D_q (or of a test split). */
export interface QuestionRecord {
  datasetId: string;
  /** The question's row in its source split; candidates refer to it as `questionId`. */
  row: number;
  /** The question text as the prompts and the loss use it. */
  question: string;
  /** The gold answer as text ("72", "B"), or null when the row has none. */
  gold: string | null;
  /** The source row as loaded (JSON-friendly). */
  raw: Record<string, unknown>;
}

/** One item of the validation set D_v: a question with a human reference rationale. */
export interface ValidationItemRecord {
  datasetId: string;
  row: number;
  question: string;
  /** The reference rationale, ending in "The answer is N." (what the loss scores). */
  reference: string;
  answer: string | null;
  raw: Record<string, unknown>;
}

/**
 * 'paused': stopped to be resumed (a pause, a closed tab); 'cancelled': stopped on purpose by the
 * user; 'failed': stopped by an error (see `error`). All three keep their rows and can resume.
 */
export const RUN_STATUSES = [
  'created',
  'running',
  'paused',
  'cancelled',
  'done',
  'failed',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Why a generation ended, as the engine reported it: a stop string, EOS, or the token budget. */
export const FINISH_REASONS = ['stop', 'eos', 'length'] as const;
export type FinishReason = (typeof FINISH_REASONS)[number];

/** The engine a run's candidates and scores really came from (which may differ from the recipe's). */
export interface RunEngine {
  kind: EngineKind;
  modelId: string;
  /** Where it ran, as the engine said: 'wasm (4 threads)', 'webgpu', 'cpu', 'remote http://…'. */
  device: string;
  /**
   * The backend library and its version, e.g. '@huggingface/transformers 4.3.1'; null where
   * unknown (a remote server, or a run recorded before this field existed).
   */
  version: string | null;
  /** The model's EOS string: the loss texts and the training rows contain it. */
  eosToken: string;
}

export interface StageProgress {
  done: number;
  total: number;
  updatedAt: number;
}

export interface RunError {
  message: string;
  /** The stage that failed, when known. */
  stage: string | null;
  at: number;
}

/** What a run computed beyond the candidates: Lv and the filters' summaries. */
export interface RunResults {
  /** Mean validation loss Lv, once computed. */
  lv: number | null;
  /** Per filter key (see CandidateRecord.decisions), the filter's summary. */
  filters: Record<string, FilterSummary>;
}

export interface RunRecord {
  id: string;
  name: string;
  /** The full recipe (the notebook's reproducible part). */
  recipe: Recipe;
  /** The recipe's content hash (core/notebook recipeHash): runs attach to recipes by it. */
  recipeHash: string;
  questionsDatasetId: string | null;
  validationDatasetId: string | null;
  status: RunStatus;
  /** Per stage (e.g. "generate", "score"), how far it got. */
  progress: Record<string, StageProgress>;
  results: RunResults;
  createdAt: number;
  updatedAt: number;
  error: RunError | null;
  /** The engine the run used, once it started; null before, or for runs stored without it. */
  engine: RunEngine | null;
}

/** 0/1 decisions, one per filter key (e.g. the filter's label). */
export type Decisions = Record<string, 0 | 1>;

/**
 * One sampled candidate: what the model wrote, what was read from it, its scores and what the
 * filters decided. Unique per (runId, questionId, index).
 */
export interface CandidateRecord {
  runId: string;
  /** The question's row (QuestionRecord.row). */
  questionId: number;
  /** Candidate number within the question, 0 … m-1. */
  index: number;
  /** The raw generation. */
  raw: string;
  /** The cleaned rationale (core cleanCandidate). */
  text: string;
  answer: Answer | null;
  rule: ExtractionRule;
  /** Generated tokens, when the engine reported them. */
  tokens: number | null;
  /** Why generation ended; null where not recorded (rows stored or bundled before it was kept). */
  finishReason: FinishReason | null;
  /** L (mean token NLL), once scored. */
  loss: number | null;
  /** Self-evaluation score in [0, 10]. */
  selfScore: number | null;
  /** Raw reward-model logit. */
  reward: number | null;
  /** Self-consistency mark (1: agrees with the majority). */
  mark: 0 | 1 | null;
  wPrime: number | null;
  /** DS; null where undefined (w = 0). */
  ds: number | null;
  decisions: Decisions;
}

/** The (question, candidate) key of a candidate within its run. */
export interface CandidateKey {
  questionId: number;
  index: number;
}

/** The loss of one validation item under a run's base model. */
export interface ValidationLossRecord {
  runId: string;
  /** The validation item's row (ValidationItemRecord.row). */
  row: number;
  loss: number;
  tokens: number | null;
}

export interface TrainerJobEvent {
  at: number;
  type: string;
  message: string;
}

export interface MetricPoint {
  step: number;
  value: number;
}

/** A job on a trainer endpoint. Never holds a token (see assertNoSecrets). */
export interface TrainerJobRecord {
  id: string;
  runId: string | null;
  /** Which configured endpoint ran it (an id of the settings, never its token). */
  endpointId: string;
  remoteJobId: string | null;
  /** "sft", "spin", "eval", … */
  kind: string;
  status: string;
  events: TrainerJobEvent[];
  metrics: Record<string, MetricPoint[]>;
  createdAt: number;
  updatedAt: number;
}

/** A stored file: an export, a bundle, an adapter. */
export interface ArtifactRecord {
  id: string;
  runId: string | null;
  kind: string;
  name: string;
  mimeType: string;
  size: number;
  createdAt: number;
  blob: Blob;
}

/** A local setting (e.g. a trainer token). Settings never leave the browser. */
export interface SettingRecord {
  key: string;
  value: unknown;
}

/** Everything of one run that a bundle carries. */
export interface RunSnapshot {
  run: RunRecord;
  datasets: DatasetRecord[];
  questions: QuestionRecord[];
  validationItems: ValidationItemRecord[];
  /** Ordered by (questionId, index). */
  candidates: CandidateRecord[];
  validationLosses: ValidationLossRecord[];
  trainerJobs: TrainerJobRecord[];
}
