// What the pipeline reads and writes: a run, its inputs, its candidates and scores. The browser
// keeps these in IndexedDB, the CLI in memory and a bundle; both implement PipelineStore.
import type { Recipe } from '../core/notebook';
import type { Answer, ExtractionRule } from '../core/types';
import type { FinishReason, RunEngine } from '../data/records';

/** A question of D_q with its gold answer text when the dataset has one. */
export interface RunQuestion {
  id: string;
  question: string;
  gold: string | null;
}

/** A D_v item: a question with its human reference rationale (ending "The answer is X."). */
export interface RunValidationItem {
  id: string;
  question: string;
  rationale: string;
}

export interface RunInputs {
  questions: RunQuestion[];
  validation: RunValidationItem[];
}

/** One sampled candidate and everything computed about it. */
export interface CandidateRow {
  runId: string;
  questionId: string;
  /** Candidate index within its question, 0..m-1. */
  index: number;
  /** The model's output, as generated (cut at the stop string). */
  raw: string;
  /** The cleaned rationale (method §2) — what is voted, scored, exported. */
  cleaned: string;
  answer: Answer | null;
  rule: ExtractionRule;
  tokens: number;
  /** As the engine reported it; null for rows stored or bundled before it was recorded. */
  finishReason: FinishReason | null;
  /** L (method §5); null until scored. */
  loss: number | null;
  selfScore: number | null;
  reward: number | null;
}

/** The stages in order; 'self-evaluate' runs only when a filter of the recipe needs it. */
export const RUN_STAGES = [
  'generate',
  'score-validation',
  'score-candidates',
  'self-evaluate',
] as const;
export type RunStage = (typeof RUN_STAGES)[number];

export type RunStatus = 'ready' | 'running' | 'paused' | 'cancelled' | 'failed' | 'done';

export interface StageProgress {
  done: number;
  total: number;
}

export interface RunRecord {
  id: string;
  recipe: Recipe;
  /** recipeHash(recipe): runs are attached to the notebook they were made with. */
  recipeHash: string;
  status: RunStatus;
  /** The stage running or next to run. */
  stage: RunStage | 'done';
  progress: Record<RunStage, StageProgress>;
  /** The engine and model the run was made with, as the engine reported them (engineUsed). */
  model: RunEngine | null;
  error: string | null;
  createdAt: number;
  updatedAt: number;
}

/** Live progress the runner reports. */
export interface RunProgressEvent {
  runId: string;
  stage: RunStage;
  done: number;
  total: number;
  /** Generated (generate) or scored (score) tokens per second over this session. */
  tokensPerSecond: number;
  /** Seconds left in this stage at the current pace, or null before there is a pace. */
  etaSeconds: number | null;
  /** The candidate just written, during generation. */
  candidate?: CandidateRow;
}

/** A candidate's loss, addressed by its key. */
export interface CandidateLoss {
  questionId: string;
  index: number;
  loss: number;
}

/** A candidate's self-evaluation score (method §8, self filter). */
export interface CandidateSelfScore {
  questionId: string;
  index: number;
  selfScore: number;
}

export interface ValidationLoss {
  itemId: string;
  loss: number;
}

/**
 * The storage the runner needs. Writes are atomic per call and idempotent per key, so a
 * repeated write after a crash never duplicates a candidate.
 */
export interface PipelineStore {
  getRun(runId: string): Promise<RunRecord | undefined>;
  saveRun(run: RunRecord): Promise<void>;
  getInputs(runId: string): Promise<RunInputs>;
  /** Keys `${questionId}#${index}` of the candidates stored for the run. */
  candidateKeys(runId: string): Promise<Set<string>>;
  putCandidates(rows: CandidateRow[]): Promise<void>;
  /** The run's candidates in question order (as in the inputs), then by index. */
  listCandidates(runId: string): Promise<CandidateRow[]>;
  setCandidateLosses(runId: string, losses: CandidateLoss[]): Promise<void>;
  setCandidateSelfScores(runId: string, scores: CandidateSelfScore[]): Promise<void>;
  getValidationLosses(runId: string): Promise<ValidationLoss[]>;
  putValidationLosses(runId: string, losses: ValidationLoss[]): Promise<void>;
}

export function candidateKey(questionId: string, index: number): string {
  return `${questionId}#${index}`;
}
