// SPIN in the playground (method §12) as a series of iterations over one fixed set of prompts
// with human reference responses. Iteration t: the model of iteration t − 1 (t = 0: the base
// model) writes one response per prompt; (reference, response) is a preference pair; the
// training file of iteration t holds its own pairs, then those of iteration t − 1, and the job
// starts from the model of iteration t − 1. This module holds the records a series is stored as
// and the steps that need no trainer: generating the responses through an Engine, the training
// file, and which model each iteration starts from. The UI drives the trainer.

import { spinPreferencePairs } from '../core/export/rows';
import { serializePairs } from '../core/export/serialize';
import { deriveSeed } from '../core/rng';
import { buildSpinPairs, spinInput, spinTrainingSet } from '../core/spin';
import type { SpinPair, TaskId } from '../core/types';
import type { CallSignal, Engine } from '../engine/types';

/** One prompt of a series: the question and its human reference response (the "real" side). */
export interface SpinItem {
  /** The row in its source split. */
  row: number;
  prompt: string;
  reference: string;
}

/** Where a series' prompts came from. */
export interface SpinSource {
  /** 'train': the task's train rows with rationales; 'validation': the notebook's D_v. */
  kind: 'train' | 'validation';
  task: TaskId;
  /** A readable name, e.g. "toy-arith train[0:8] v1". */
  label: string;
  /** The first row (train) or item (D_v) taken, and how many. */
  start: number;
  count: number;
}

export type SpinIterationStatus = 'generated' | 'training' | 'succeeded' | 'failed' | 'cancelled';

export interface SpinIterationRecord {
  iteration: number;
  /** The model that wrote the generated responses: the base model, or t − 1's fine-tuned model. */
  generator: string;
  /** This iteration's own pairs (generated = this iteration's responses). */
  pairs: SpinPair[];
  /** Iterations whose pairs the training file holds, in file order: t, then t − 1. */
  trainedOn: number[];
  trainingRows: number;
  trainingFileId: string | null;
  /** The trainer model the job started from: the base model, or t − 1's fine-tuned model. */
  startModel: string | null;
  /** The local trainer-job record (data layer) and the job's id on the trainer. */
  jobRecordId: string | null;
  remoteJobId: string | null;
  status: SpinIterationStatus;
  fineTunedModel: string | null;
  /** The merged model's folder in the browser's model cache (toy models), or null. */
  browserModel: string | null;
  steps: number | null;
  finalLoss: number | null;
  losses: { step: number; loss: number }[];
  /** Greedy accuracy of the fine-tuned model on the notebook's test slice, when measured. */
  accuracy: { correct: number; total: number } | null;
  error: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface SpinSeriesRecord {
  id: string;
  source: SpinSource;
  items: SpinItem[];
  /** The browser model that generates iteration 0 (the notebook's engine model). */
  baseModel: string;
  /** The trainer's base model that iteration 0 fine-tunes. */
  trainerModel: string;
  /** The trainer's address (never its token). */
  endpoint: string;
  iterations: SpinIterationRecord[];
  createdAt: number;
  updatedAt: number;
}

/** Generation settings of one iteration (official: temperature 1.0, top-p 1.0, 256 new tokens). */
export interface SpinGenerationSettings {
  iteration: number;
  seed: number;
  temperature: number;
  maxNewTokens: number;
  /** The loaded model's context length: prompt + response must fit. */
  contextLength: number;
}

/**
 * The sampling seed of one response: its own stream per (iteration, row), so a response does not
 * depend on which others were generated, and iterations do not repeat each other's draws.
 */
export function spinResponseSeed(seed: number, iteration: number, row: number): number {
  return deriveSeed(deriveSeed(seed, `spin-iteration-${iteration}`), row);
}

export interface SpinResponseProgress {
  done: number;
  total: number;
  item: SpinItem;
  /** The raw generation (cleaned into the pair later). */
  text: string;
  tokens: number;
}

/**
 * One sampled response per item to the official SPIN prompt, in item order. No top-p/top-k
 * truncation and no stop string (the official generation runs to EOS or the token limit).
 */
export async function generateSpinResponses(
  engine: Pick<Engine, 'sample' | 'tokenize'>,
  items: readonly SpinItem[],
  settings: SpinGenerationSettings,
  call: CallSignal & { onResponse?: (progress: SpinResponseProgress) => void } = {},
): Promise<string[]> {
  const out: string[] = [];
  for (const item of items) {
    if (call.signal?.aborted) throw new SpinCancelled();
    const input = spinInput(item.prompt);
    const promptTokens = (await engine.tokenize(input, { addBos: true })).length;
    const maxTokens = Math.min(settings.maxNewTokens, settings.contextLength - promptTokens);
    if (maxTokens < 1) {
      throw new Error(
        `Row ${item.row}'s SPIN prompt has ${promptTokens} tokens, the whole context of the model (${settings.contextLength}).`,
      );
    }
    const [candidate] = await engine.sample(
      input,
      {
        n: 1,
        temperature: settings.temperature,
        maxTokens,
        seed: spinResponseSeed(settings.seed, settings.iteration, item.row),
      },
      call.signal ? { signal: call.signal } : {},
    );
    const text = candidate?.text ?? '';
    out.push(text);
    call.onResponse?.({
      done: out.length,
      total: items.length,
      item,
      text,
      tokens: candidate?.tokens ?? 0,
    });
  }
  return out;
}

export class SpinCancelled extends Error {
  override readonly name = 'SpinCancelled';
  constructor() {
    super('SPIN was cancelled.');
  }
}

/** The pairs of iteration t from its generations (real = reference, generated = cleaned response). */
export function spinPairsOf(
  items: readonly SpinItem[],
  generations: readonly string[],
  iteration: number,
  eosToken: string,
): SpinPair[] {
  return buildSpinPairs(
    items.map((item) => ({ prompt: item.prompt, reference: item.reference })),
    generations,
    iteration,
    eosToken,
  );
}

export interface SpinTrainingFile {
  /** TRL preference JSONL: {"prompt", "chosen", "rejected"} per line. */
  text: string;
  rows: number;
  /** Iterations whose pairs it holds, in file order. */
  trainedOn: number[];
}

/**
 * The training file of iteration t: its own pairs, then iteration t − 1's (method §12), as TRL
 * preference rows whose prompt is the SPIN input, chosen the reference, rejected the response.
 */
export function spinTrainingFile(
  pairsByIteration: readonly (readonly SpinPair[])[],
  iteration: number,
): SpinTrainingFile {
  const pairs = spinTrainingSet(pairsByIteration, iteration);
  const trainedOn = iteration === 0 ? [0] : [iteration, iteration - 1];
  return {
    text: serializePairs('trl-preference', spinPreferencePairs(pairs), { includeWeight: false }),
    rows: pairs.length,
    trainedOn,
  };
}

/**
 * The iteration a series runs next: the first one not yet succeeded (a failed or cancelled
 * iteration is run again with its pairs).
 */
export function nextSpinIteration(series: Pick<SpinSeriesRecord, 'iterations'>): number {
  const last = series.iterations.at(-1);
  if (last === undefined) return 0;
  return last.status === 'succeeded' ? last.iteration + 1 : last.iteration;
}

/** What iteration t starts from: its generator in the browser and its starting trainer model. */
export interface SpinIterationStart {
  /** null: the notebook's base model; otherwise t − 1's merged model folder in the model cache. */
  browserModel: string | null;
  /** The name of the generator, for display and provenance. */
  generator: string;
  /** The trainer model the job starts from. */
  startModel: string;
}

export function spinIterationStart(
  series: Pick<SpinSeriesRecord, 'iterations' | 'baseModel' | 'trainerModel'>,
  iteration: number,
): SpinIterationStart {
  if (iteration === 0) {
    return { browserModel: null, generator: series.baseModel, startModel: series.trainerModel };
  }
  const previous = series.iterations[iteration - 1];
  if (previous === undefined || previous.status !== 'succeeded' || !previous.fineTunedModel) {
    throw new Error(
      `SPIN iteration ${iteration} needs iteration ${iteration - 1}'s trained model.`,
    );
  }
  return {
    browserModel: previous.browserModel,
    generator: previous.fineTunedModel,
    startModel: previous.fineTunedModel,
  };
}

/** The pairs of iterations 0..t, where iteration t's are `current` (not yet stored). */
export function pairsUpTo(
  series: Pick<SpinSeriesRecord, 'iterations'>,
  iteration: number,
  current: readonly SpinPair[],
): SpinPair[][] {
  const out: SpinPair[][] = [];
  for (let t = 0; t < iteration; t++) {
    const record = series.iterations[t];
    if (record === undefined) throw new Error(`SPIN iteration ${t} has no stored pairs.`);
    out.push(record.pairs);
  }
  out.push([...current]);
  return out;
}

/** The folder name of iteration t's merged model in the browser's model cache. */
export function spinModelFolder(seriesId: string, iteration: number): string {
  return `spin-${seriesId}-iter${iteration}`;
}
