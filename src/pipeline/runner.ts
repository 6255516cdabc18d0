// The resumable runner: generate → score D_v → score candidates, through any Engine and any
// PipelineStore. Every candidate is written as soon as it exists and every stage starts by
// asking the store what is already done, so a closed tab, a reload or a crashed worker loses at
// most what was in flight, and running again continues exactly where the run stopped: the same
// per-candidate seeds give the same candidates as an uninterrupted run.
import { buildLossText } from '../core/lossText';
import { deriveSeed } from '../core/rng';
import { buildSelfEvalPrompt, parseSelfEvalReply } from '../core/selfEval';
import type { FilterSpec } from '../core/types';
import { voteQuestion } from '../core/vote';
import { getTask } from '../core/tasks/registry';
import { buildPrompt, cleanTaskCandidate, extractTaskAnswer } from '../core/tasks/task';
import type { Exemplar, LossText } from '../core/types';
import type { Engine, ModelInfo, SampleProgress } from '../engine/types';
import { engineUsed } from './engineUsed';
import {
  candidateKey,
  type CandidateRow,
  type RunProgressEvent,
  type RunRecord,
  type RunStage,
  type PipelineStore,
} from './types';

/** Generation stops at the next question; cleaning would cut there anyway (method §2). */
export const STOP_STRINGS = ['Q:'];

/** Abort reasons the runner understands; any other abort counts as a pause. */
export const CANCEL_REASON = 'cancel';
export const PAUSE_REASON = 'pause';

export interface RunnerOptions {
  engine: Engine;
  /** The loaded model (its EOS string goes into the loss texts). */
  model: ModelInfo;
  store: PipelineStore;
  signal?: AbortSignal;
  onProgress?: (event: RunProgressEvent) => void;
  /** Texts per score call. */
  scoreBatchSize?: number;
  now?: () => number;
}

export class RunError extends Error {
  override readonly name = 'RunError';
}

/** Pace of one stage in this session, for tokens/s and ETA. */
class Pace {
  private readonly started: number;
  private items = 0;
  private tokens = 0;
  constructor(private readonly now: () => number) {
    this.started = now();
  }
  add(items: number, tokens: number): void {
    this.items += items;
    this.tokens += tokens;
  }
  report(remaining: number): { tokensPerSecond: number; etaSeconds: number | null } {
    const seconds = Math.max((this.now() - this.started) / 1000, 1e-3);
    const rate = this.items / seconds;
    return {
      tokensPerSecond: this.tokens / seconds,
      etaSeconds: this.items > 0 ? remaining / rate : null,
    };
  }
}

export async function runPipeline(runId: string, options: RunnerOptions): Promise<RunRecord> {
  const { store, signal } = options;
  const run = await store.getRun(runId);
  if (!run) throw new RunError(`There is no run "${runId}" in this browser's storage.`);
  if (run.status === 'done') return run;
  run.status = 'running';
  run.error = null;
  run.model = engineUsed(options.model);
  await save(store, run, options);
  try {
    await generateStage(run, options);
    await scoreValidationStage(run, options);
    await scoreCandidatesStage(run, options);
    if (needsSelfScores(run.recipe.filters)) await selfEvaluateStage(run, options);
    run.stage = 'done';
    run.status = 'done';
  } catch (error) {
    if (signal?.aborted) {
      run.status = signal.reason === CANCEL_REASON ? 'cancelled' : 'paused';
    } else {
      run.status = 'failed';
      run.error = error instanceof Error ? error.message : String(error);
    }
    await save(store, run, options);
    throw error;
  }
  await save(store, run, options);
  return run;
}

async function save(store: PipelineStore, run: RunRecord, options: RunnerOptions): Promise<void> {
  run.updatedAt = (options.now ?? Date.now)();
  await store.saveRun(run);
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new RunError('The run was stopped.');
}

async function generateStage(run: RunRecord, options: RunnerOptions): Promise<void> {
  const { engine, store, signal, onProgress } = options;
  const now = options.now ?? Date.now;
  const { recipe } = run;
  const task = getTask(recipe.task);
  const exemplars: readonly Exemplar[] = recipe.prompt.exemplars ?? task.defaultExemplars;
  const { m, temperature, maxTokens, seed } = recipe.sampling;
  const inputs = await store.getInputs(run.id);
  const existing = await store.candidateKeys(run.id);
  const total = inputs.questions.length * m;
  let done = 0;
  for (const q of inputs.questions) {
    for (let i = 0; i < m; i++) if (existing.has(candidateKey(q.id, i))) done++;
  }
  run.stage = 'generate';
  run.progress.generate = { done, total };
  await save(store, run, options);
  const pace = new Pace(now);

  for (const q of inputs.questions) {
    const missing: number[] = [];
    for (let i = 0; i < m; i++) if (!existing.has(candidateKey(q.id, i))) missing.push(i);
    if (missing.length === 0) continue;
    throwIfAborted(signal);
    const prompt = buildPrompt(task, q.question, exemplars);
    const promptTokens = (await engine.tokenize(prompt, { addBos: true })).length;
    const budget = maxTokens - promptTokens;
    if (budget < 1) {
      throw new RunError(
        `The prompt of question "${q.id}" is ${promptTokens} tokens, over the budget of ${maxTokens} (prompt + generation). Shorten the exemplars or raise the token budget.`,
      );
    }
    // Writes are chained so they land in order; the stage waits for them before moving on.
    let writes: Promise<void> = Promise.resolve();
    const onCandidate = ({ candidate }: SampleProgress): void => {
      const cleaned = cleanTaskCandidate(task, q.question, candidate.text, recipe.extractionMode);
      const extraction = extractTaskAnswer(task, cleaned, recipe.extractionMode);
      const row: CandidateRow = {
        runId: run.id,
        questionId: q.id,
        index: candidate.index,
        raw: candidate.text,
        cleaned,
        answer: extraction.answer,
        rule: extraction.rule,
        tokens: candidate.tokens,
        finishReason: candidate.finishReason,
        loss: null,
        selfScore: null,
        reward: null,
      };
      writes = writes.then(async () => {
        await store.putCandidates([row]);
        done++;
        pace.add(1, row.tokens);
        run.progress.generate = { done, total };
        onProgress?.({
          runId: run.id,
          stage: 'generate',
          done,
          total,
          ...pace.report(total - done),
          candidate: row,
        });
      });
    };
    const sampleCall: Parameters<Engine['sample']>[2] = { onCandidate };
    if (signal) sampleCall.signal = signal;
    try {
      await engine.sample(
        prompt,
        {
          n: m,
          temperature,
          maxTokens: budget,
          stop: STOP_STRINGS,
          seed: deriveSeed(seed, q.id),
          indices: missing,
        },
        sampleCall,
      );
    } finally {
      await writes; // whatever finished before a stop is kept
    }
    await save(store, run, options);
  }
}

async function scoreInBatches<T>(
  items: readonly T[],
  toText: (item: T) => LossText,
  write: (batch: readonly T[], losses: number[]) => Promise<void>,
  stage: RunStage,
  run: RunRecord,
  options: RunnerOptions,
  alreadyDone: number,
): Promise<void> {
  const { engine, store, signal, onProgress } = options;
  const batchSize = options.scoreBatchSize ?? 8;
  const total = alreadyDone + items.length;
  let done = alreadyDone;
  run.stage = stage;
  run.progress[stage] = { done, total };
  await save(store, run, options);
  const pace = new Pace(options.now ?? Date.now);
  for (let start = 0; start < items.length; start += batchSize) {
    throwIfAborted(signal);
    const batch = items.slice(start, start + batchSize);
    const scoreCall: Parameters<Engine['score']>[1] = {};
    if (signal) scoreCall.signal = signal;
    const results = await engine.score(batch.map(toText), scoreCall);
    await write(
      batch,
      results.map((r) => r.meanNll),
    );
    done += batch.length;
    pace.add(
      batch.length,
      results.reduce((sum, r) => sum + r.tokenIds.length, 0),
    );
    run.progress[stage] = { done, total };
    await save(store, run, options);
    onProgress?.({ runId: run.id, stage, done, total, ...pace.report(total - done) });
  }
}

async function scoreValidationStage(run: RunRecord, options: RunnerOptions): Promise<void> {
  const { store } = options;
  const eos = options.model.eosToken;
  const inputs = await store.getInputs(run.id);
  const scoredIds = new Set((await store.getValidationLosses(run.id)).map((v) => v.itemId));
  const todo = inputs.validation.filter((item) => !scoredIds.has(item.id));
  await scoreInBatches(
    todo,
    (item) => buildLossText(item.question, item.rationale, run.recipe.lossMode, eos),
    (batch, losses) =>
      store.putValidationLosses(
        run.id,
        batch.map((item, i) => ({ itemId: item.id, loss: losses[i] as number })),
      ),
    'score-validation',
    run,
    options,
    inputs.validation.length - todo.length,
  );
}

async function scoreCandidatesStage(run: RunRecord, options: RunnerOptions): Promise<void> {
  const { store } = options;
  const eos = options.model.eosToken;
  const inputs = await store.getInputs(run.id);
  const questionText = new Map(inputs.questions.map((q) => [q.id, q.question]));
  const rows = await store.listCandidates(run.id);
  const todo = rows.filter((row) => row.loss === null);
  await scoreInBatches(
    todo,
    (row) =>
      buildLossText(questionText.get(row.questionId) ?? '', row.cleaned, run.recipe.lossMode, eos),
    (batch, losses) =>
      store.setCandidateLosses(
        run.id,
        batch.map((row, i) => ({
          questionId: row.questionId,
          index: row.index,
          loss: losses[i] as number,
        })),
      ),
    'score-candidates',
    run,
    options,
    rows.length - todo.length,
  );
}

/** Whether any filter (or part of an intersection) is the self-evaluation filter. */
export function needsSelfScores(filters: readonly FilterSpec[]): boolean {
  return filters.some((f) =>
    f.method === 'self' ? true : f.method === 'intersection' ? needsSelfScores(f.of) : false,
  );
}

/** New tokens the model may use for its rating reply ("Score: 7" and a little more). */
export const SELF_EVAL_MAX_TOKENS = 16;

/** The base model rates every majority-consistent candidate, greedily (method §8). */
async function selfEvaluateStage(run: RunRecord, options: RunnerOptions): Promise<void> {
  const { engine, store, signal, onProgress } = options;
  const inputs = await store.getInputs(run.id);
  const questionText = new Map(inputs.questions.map((q) => [q.id, q.question]));
  const rows = await store.listCandidates(run.id);
  const byQuestion = new Map<string, CandidateRow[]>();
  for (const row of rows) {
    const group = byQuestion.get(row.questionId) ?? [];
    group.push(row);
    byQuestion.set(row.questionId, group);
  }
  const majority: CandidateRow[] = [];
  for (const group of byQuestion.values()) {
    const marks = voteQuestion(group.map((c) => c.answer)).marks;
    group.forEach((row, i) => {
      if (marks[i] === 1) majority.push(row);
    });
  }
  const todo = majority.filter((row) => row.selfScore === null);
  const total = majority.length;
  let done = total - todo.length;
  run.stage = 'self-evaluate';
  run.progress['self-evaluate'] = { done, total };
  await save(store, run, options);
  const pace = new Pace(options.now ?? Date.now);
  for (const row of todo) {
    throwIfAborted(signal);
    const prompt = buildSelfEvalPrompt(questionText.get(row.questionId) ?? '', row.cleaned);
    const call: Parameters<Engine['greedy']>[2] = {};
    if (signal) call.signal = signal;
    const reply = await engine.greedy(prompt, { maxTokens: SELF_EVAL_MAX_TOKENS }, call);
    const { score } = parseSelfEvalReply(reply.text, options.model.eosToken);
    await store.setCandidateSelfScores(run.id, [
      { questionId: row.questionId, index: row.index, selfScore: score },
    ]);
    done++;
    pace.add(1, reply.tokens);
    run.progress['self-evaluate'] = { done, total };
    // Saved per rating, as the scoring stages save per batch: a reload shows how far it got.
    await save(store, run, options);
    onProgress?.({
      runId: run.id,
      stage: 'self-evaluate',
      done,
      total,
      ...pace.report(total - done),
    });
  }
  await save(store, run, options);
}

/** A fresh run record for a recipe. */
export function newRunRecord(
  id: string,
  recipe: RunRecord['recipe'],
  recipeHash: string,
  now = Date.now(),
): RunRecord {
  return {
    id,
    recipe,
    recipeHash,
    status: 'ready',
    stage: 'generate',
    progress: {
      generate: { done: 0, total: 0 },
      'score-validation': { done: 0, total: 0 },
      'score-candidates': { done: 0, total: 0 },
      'self-evaluate': { done: 0, total: 0 },
    },
    model: null,
    error: null,
    createdAt: now,
    updatedAt: now,
  };
}
