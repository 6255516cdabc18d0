// The work of iwsi run: the notebook's recipe and inputs, an engine, the resumable runner over a
// memory store, and the run bundle written at the end — or when Ctrl-C stops it, when it fails,
// and every few minutes on the way, so that a long run never loses more than that.

import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { filterLabel } from '../../core/filters';
import { recipeHash, type Notebook, type Recipe } from '../../core/notebook';
import { loadHubValidation, type HubOptions } from '../../data/datasets/hub';
import { readTableFile, type TableFile } from '../../data/datasets/files';
import {
  loadRecipeQuestions,
  questionsFromFile,
  validationFromFile,
} from '../../data/datasets/recipe';
import type { LoadedDataset } from '../../data/datasets/dataset';
import { loadToyArithValidation } from '../../data/datasets/toyArith';
import { readBundle, writeBundle } from '../../data/bundle';
import { DataError } from '../../data/errors';
import type { RunSnapshot } from '../../data/records';
import { createEngine } from '../../engine/backends';
import { EngineError } from '../../engine/protocol';
import type { Engine, ModelInfo, ModelSpec } from '../../engine/types';
import { deriveRun } from '../../pipeline/derive';
import { MemoryStore } from '../../pipeline/memoryStore';
import { newRunRecord, PAUSE_REASON, runPipeline } from '../../pipeline/runner';
import {
  filterOutcomes,
  fromRunSnapshot,
  inputsFromDatasets,
  snapshotDatasets,
  toRunSnapshot,
  withDerivedScores,
  type PipelineRunState,
  type RunDatasets,
} from '../../pipeline/runSnapshot';
import type { RunProgressEvent, RunRecord, RunStage } from '../../pipeline/types';
import { choiceOption, numberOption, stringOption } from '../command';
import type { CliContext, CliIo, ParsedArgs } from '../command';
import { CliError, EXIT, inputError, runtimeError, usageError } from '../errors';
import { loadNotebook } from './notebookRun';

const COMMAND = 'run';
/** A long run writes its bundle at least this often (ms), so a killed process loses little. */
const CHECKPOINT_EVERY_MS = 5 * 60_000;
/** Progress lines on stderr at most this often per stage (ms). */
const PROGRESS_EVERY_MS = 1000;

/** What a run starts from: its state so far, where its rows came from, and its name. */
interface RunPlan {
  state: PipelineRunState;
  datasets: RunDatasets;
  name: string;
  trainerJobs: RunSnapshot['trainerJobs'];
}

// ------------------------------------------------------------------------------------ inputs

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A data-layer error while loading inputs: the Hub unreachable, a bad file. */
function inputsError(error: unknown, what: string): never {
  if (error instanceof DataError) {
    if (error.code === 'network' || error.code.startsWith('hub-')) {
      throw inputError(
        `${what} comes from the Hugging Face Hub, which could not be used: ${error.message} Download the split and give it with --questions/--validation FILE to run offline.`,
      );
    }
    const details = error.details.length > 0 ? `\n  ${error.details.join('\n  ')}` : '';
    throw inputError(`${error.message}${details}`);
  }
  throw error;
}

async function readLocalFile(
  path: string,
): Promise<{ size: number; arrayBuffer(): Promise<ArrayBuffer> }> {
  try {
    const bytes = await readFile(path);
    return {
      size: bytes.byteLength,
      arrayBuffer: async () =>
        bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    };
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw inputError(
      `${path}: cannot be read (${code === 'ENOENT' ? 'no such file' : describeError(error)})`,
    );
  }
}

/** A local table file (JSONL, CSV, Parquet), read once; its mapping is applied by the recipe. */
async function readTable(path: string): Promise<TableFile> {
  const file = await readLocalFile(path);
  try {
    return await readTableFile(file, basename(path));
  } catch (error) {
    return inputsError(error, path);
  }
}

/** HF_ENDPOINT (as huggingface_hub reads it) points the Hub loader at a mirror. */
function hubOptions(): HubOptions {
  const endpoint = process.env.HF_ENDPOINT;
  return endpoint ? { hubUrl: endpoint } : {};
}

/** D_v as the recipe names it: a slice of the built-in data or of a Hub split. */
async function loadRecipeValidation(recipe: Recipe): Promise<LoadedDataset> {
  const { validation, dataset } = recipe;
  if (validation.source !== 'dataset') throw new Error('D_v comes from a file.');
  if (dataset.id === 'toy-arith') {
    return loadToyArithValidation(validation.split, validation.slice, dataset.revision);
  }
  return loadHubValidation(
    {
      task: recipe.task,
      repo: dataset.id,
      ...(dataset.config === null ? {} : { config: dataset.config }),
      split: validation.split,
      slice: validation.slice,
      revision: dataset.revision,
    },
    hubOptions(),
  );
}

async function loadInputs(args: ParsedArgs, recipe: Recipe): Promise<RunDatasets> {
  const questionsFile = stringOption(args, 'questions');
  const validationFile = stringOption(args, 'validation');
  let questions: LoadedDataset;
  const pinnedQuestions = recipe.dataset.file ?? null;
  if (questionsFile !== undefined) {
    // The notebook's pin and column mapping when it names a D_q file; the proposed mapping else.
    const table = await readTable(questionsFile);
    try {
      questions = questionsFromFile(recipe, table);
    } catch (error) {
      return inputsError(error, questionsFile);
    }
  } else if (pinnedQuestions !== null) {
    throw usageError(
      `this notebook takes D_q from the file "${pinnedQuestions.name}"; give it with --questions FILE`,
      COMMAND,
    );
  } else {
    try {
      questions = await loadRecipeQuestions(recipe, hubOptions());
    } catch (error) {
      return inputsError(error, `The notebook's dataset ${recipe.dataset.id}`);
    }
  }
  const source = recipe.validation;
  let validation: LoadedDataset;
  if (validationFile !== undefined) {
    const table = await readTable(validationFile);
    try {
      validation = validationFromFile(recipe, table);
    } catch (error) {
      return inputsError(error, validationFile);
    }
  } else if (source.source === 'file') {
    throw usageError(
      `this notebook takes D_v from the file "${source.name}"; give it with --validation FILE`,
      COMMAND,
    );
  } else {
    try {
      validation = await loadRecipeValidation(recipe);
    } catch (error) {
      return inputsError(error, `The notebook's validation set (${recipe.dataset.id})`);
    }
  }
  return { questions, validation };
}

function newRunId(): string {
  return `run-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

async function planNewRun(args: ParsedArgs, io: CliIo, source: string): Promise<RunPlan> {
  const notebook: Notebook = await loadNotebook(io, source);
  const recipe = structuredClone(notebook.recipe);
  const limit = numberOption(args, 'limit', COMMAND, { min: 1, max: 1e9, integer: true });
  if (limit !== undefined) {
    const { start, end } = recipe.dataset.slice;
    recipe.dataset.slice = { start, end: Math.min(end ?? Infinity, start + limit) };
  }
  const datasets = await loadInputs(args, recipe);
  const now = Date.now();
  const run = newRunRecord(newRunId(), recipe, recipeHash(recipe), now);
  return {
    state: { run, inputs: inputsFromDatasets(datasets), candidates: [], validationLosses: [] },
    datasets,
    name: notebook.title.trim() || `${recipe.task} ${new Date(now).toISOString().slice(0, 16)}`,
    trainerJobs: [],
  };
}

async function planResume(args: ParsedArgs, io: CliIo, path: string): Promise<RunPlan> {
  for (const option of ['questions', 'validation', 'limit']) {
    if (stringOption(args, option) !== undefined) {
      throw usageError(
        `--${option} starts a new run; a resumed run keeps the inputs its bundle holds`,
        COMMAND,
      );
    }
  }
  const file = await readLocalFile(path);
  let snapshot: RunSnapshot;
  try {
    snapshot = (await readBundle(new Uint8Array(await file.arrayBuffer()))).snapshot;
  } catch (error) {
    if (error instanceof DataError) throw inputError(`${path}: ${error.message}`);
    throw error;
  }
  const source = args.positionals[0];
  if (source !== undefined) {
    const notebook = await loadNotebook(io, source);
    if (recipeHash(notebook.recipe) !== snapshot.run.recipeHash) {
      throw inputError(
        `${path} holds a run of another recipe than ${source}; resume it without the notebook, or start a new run of the notebook`,
      );
    }
  }
  return {
    state: fromRunSnapshot(snapshot),
    datasets: snapshotDatasets(snapshot),
    name: snapshot.run.name,
    trainerJobs: snapshot.trainerJobs,
  };
}

// ------------------------------------------------------------------------------------ engine

function engineError(error: unknown, what: string): unknown {
  if (!(error instanceof EngineError)) return error;
  const text = `${what}: ${error.message}${error.hint ? ` ${error.hint}` : ''}`;
  if (error.code === 'load-failed') return inputError(text);
  if (error.code === 'unsupported') return usageError(text, COMMAND);
  return runtimeError(text);
}

/** The notebook's model, loaded locally or on the server --remote names. */
function modelSpec(args: ParsedArgs, recipe: Recipe): ModelSpec {
  const { engine } = recipe;
  const remote =
    stringOption(args, 'remote') ??
    (engine.kind === 'remote' ? (engine.baseUrl ?? undefined) : undefined);
  if (remote === undefined) {
    for (const option of ['model', 'api-key']) {
      if (stringOption(args, option) !== undefined) {
        throw usageError(`--${option} goes with --remote URL`, COMMAND);
      }
    }
    if (engine.kind === 'webllm') {
      throw usageError(
        `this notebook runs ${engine.modelId} with web-llm, which needs a browser's WebGPU; run the model on an OpenAI-compatible server and give --remote URL (and --model NAME, the server's name for it)`,
        COMMAND,
      );
    }
    if (engine.kind === 'remote') {
      throw usageError(
        "this notebook's engine is a server whose address it does not hold; give it with --remote URL",
        COMMAND,
      );
    }
    const dir = stringOption(args, 'model-dir') ?? 'public/models';
    return {
      kind: 'transformers',
      modelId: engine.modelId,
      modelBaseUrl: resolve(dir),
      device: 'cpu',
    };
  }
  const spec: ModelSpec = {
    kind: 'remote',
    modelId: stringOption(args, 'model') ?? engine.modelId,
    baseUrl: remote,
  };
  const scoring = choiceOption(args, 'scoring', COMMAND, ['echo', 'prompt_logprobs'] as const);
  if (scoring !== undefined) spec.scoring = scoring;
  const apiKey = stringOption(args, 'api-key') ?? process.env.IWSI_API_KEY;
  if (apiKey) spec.apiKey = apiKey;
  return spec;
}

async function openEngine(
  spec: ModelSpec,
  io: CliIo,
): Promise<{ engine: Engine; model: ModelInfo }> {
  const where = spec.kind === 'remote' ? spec.baseUrl : spec.modelBaseUrl;
  io.stderr(`${COMMAND}: loading ${spec.modelId} (${spec.kind}, ${where})\n`);
  try {
    const engine = await createEngine(spec.kind);
    const model = await engine.load(spec);
    io.stderr(`${COMMAND}: model ${model.modelId} on ${model.device}\n`);
    return { engine, model };
  } catch (error) {
    throw engineError(error, `cannot load the model ${spec.modelId}`);
  }
}

// ---------------------------------------------------------------------------------- progress

const STAGE_UNITS: Record<RunStage, string> = {
  generate: 'candidates',
  'score-validation': 'D_v items scored',
  'score-candidates': 'candidates scored',
  'self-evaluate': 'candidates rated',
};

function clock(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

/** Progress lines on stderr: the first and last of each stage, and one a second between. */
function progressPrinter(io: CliIo): (event: RunProgressEvent) => void {
  let stage: RunStage | null = null;
  let last = 0;
  return (event) => {
    const now = Date.now();
    const edge = event.stage !== stage || event.done === event.total;
    if (!edge && now - last < PROGRESS_EVERY_MS) return;
    stage = event.stage;
    last = now;
    const eta = event.etaSeconds === null ? '' : ` · ETA ${clock(event.etaSeconds)}`;
    io.stderr(
      `${COMMAND}: ${event.stage} ${event.done}/${event.total} ${STAGE_UNITS[event.stage]} · ${event.tokensPerSecond.toFixed(0)} tok/s${eta}\n`,
    );
  };
}

// ----------------------------------------------------------------------------------- bundles

/** Refuses an --out that could not be written, before any work is done. */
async function checkWritable(path: string): Promise<void> {
  const folder = dirname(resolve(path));
  try {
    await access(folder, constants.W_OK);
  } catch {
    throw usageError(
      `--out ${path}: the folder ${folder} does not exist or cannot be written`,
      COMMAND,
    );
  }
  const existing = await stat(path).catch(() => null);
  if (existing?.isDirectory()) throw usageError(`--out ${path} is a folder`, COMMAND);
}

/** Writes next to the target and renames, so a stop mid-write never damages the old bundle. */
async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const temporary = `${path}.${process.pid}.partial`;
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw runtimeError(`${path}: cannot be written (${describeError(error)})`);
  }
}

async function stateOf(store: MemoryStore, runId: string): Promise<PipelineRunState> {
  const run = await store.getRun(runId);
  if (!run) throw new Error(`run ${runId} vanished from the memory store`);
  return {
    run,
    inputs: await store.getInputs(runId),
    candidates: await store.listCandidates(runId),
    validationLosses: await store.getValidationLosses(runId),
  };
}

/** A memory store that writes the bundle now and then while the runner saves its progress. */
class CheckpointStore extends MemoryStore {
  private lastCheckpoint = Date.now();
  constructor(private readonly checkpoint: () => Promise<void>) {
    super();
  }
  override async saveRun(run: RunRecord): Promise<void> {
    await super.saveRun(run);
    if (run.status === 'running' && Date.now() - this.lastCheckpoint >= CHECKPOINT_EVERY_MS) {
      this.lastCheckpoint = Date.now();
      await this.checkpoint();
    }
  }
}

// ----------------------------------------------------------------------------------- summary

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function percent(correct: number, judged: number): string {
  return judged === 0 ? '—' : `${((100 * correct) / judged).toFixed(1)}% (${correct}/${judged})`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The printed summary: what was done, and each filter's kept set with its accuracy. */
function summary(state: PipelineRunState, model: ModelInfo): string {
  const { run, inputs, candidates, validationLosses } = state;
  const { recipe } = run;
  const lines: string[] = [];
  lines.push(
    `${run.id}: ${run.status} — ${count(inputs.questions.length, 'question')} × m = ${recipe.sampling.m} (${count(candidates.length, 'candidate')}), ${model.modelId} on ${model.device}`,
  );
  const derived = deriveRun(recipe, inputs, candidates, validationLosses);
  if (derived.scored) {
    lines.push(
      `D_v: ${validationLosses.length} items, Lv = ${derived.context.weights.lv.toFixed(4)}`,
    );
  }
  const outcomes = filterOutcomes(derived, recipe.filters);
  const gold = derived.columns.goldIds !== undefined;
  const rows = [['filter', 'kept', 'questions', 'threshold', gold ? 'accuracy of kept' : '']];
  recipe.filters.forEach((spec, i) => {
    const outcome = outcomes[i];
    if (!outcome) {
      rows.push([filterLabel(spec), 'not yet', '', '(needs scores this run has not computed)', '']);
      return;
    }
    const { summary: s } = outcome.result;
    const threshold =
      s.threshold === null
        ? '—'
        : `${spec.method === 'iwsi' ? 'σ_k = ' : ''}${s.threshold.toFixed(4)}`;
    rows.push([
      s.label,
      `${s.kept}/${s.candidates}`,
      `${s.questionsKept}/${inputs.questions.length}`,
      threshold,
      gold ? percent(outcome.correct, outcome.judged) : '',
    ]);
  });
  if (gold) {
    const all = filterOutcomes(derived, [{ method: 'intersection', of: [] }])[0];
    if (all) {
      rows.push([
        'all candidates',
        `${all.result.summary.kept}/${candidates.length}`,
        '',
        '',
        percent(all.correct, all.judged),
      ]);
    }
  }
  lines.push(table(rows));
  return `${lines.join('\n')}\n`;
}

// --------------------------------------------------------------------------------------- run

export async function runNotebook(args: ParsedArgs, { io, program }: CliContext): Promise<void> {
  const resumePath = stringOption(args, 'resume');
  const source = args.positionals[0];
  if (source === undefined && resumePath === undefined) {
    throw usageError('give a notebook (a file, URL or "#nb1.…" hash), or --resume BUNDLE', COMMAND);
  }
  const out = stringOption(args, 'out') ?? resumePath ?? 'run.zip';
  const plan =
    resumePath !== undefined
      ? await planResume(args, io, resumePath)
      : await planNewRun(args, io, source as string);
  const { run } = plan.state;
  const spec = modelSpec(args, run.recipe);
  await checkWritable(out);

  const saveBundle = async (): Promise<PipelineRunState> => {
    const state = await stateOf(store, run.id);
    const snapshot = withDerivedScores({
      ...toRunSnapshot(state, plan.datasets, { name: plan.name }),
      trainerJobs: plan.trainerJobs,
    });
    await writeFileAtomic(out, await writeBundle(snapshot, { generator: `${program} (cli)` }));
    return state;
  };
  const store: CheckpointStore = new CheckpointStore(async () => {
    await saveBundle();
  });
  await store.addRun(plan.state.run, plan.state.inputs);
  await store.putCandidates(plan.state.candidates);
  await store.putValidationLosses(run.id, plan.state.validationLosses);

  const { engine, model } = await openEngine(spec, io);
  const controller = new AbortController();
  const onSigint = (): void => {
    io.stderr(`\n${COMMAND}: stopping after the current step (Ctrl-C again quits at once)…\n`);
    controller.abort(PAUSE_REASON);
  };
  process.once('SIGINT', onSigint);
  let failure: unknown = null;
  try {
    if (run.status === 'done') io.stderr(`${COMMAND}: ${run.id} is already done\n`);
    await runPipeline(run.id, {
      engine,
      model,
      store,
      signal: controller.signal,
      onProgress: progressPrinter(io),
    });
  } catch (error) {
    failure = error;
  } finally {
    process.off('SIGINT', onSigint);
    await engine.unload().catch(() => undefined);
  }

  const state = await saveBundle();
  io.stdout(summary(state, model));
  const done = state.candidates.length;
  const wanted = state.inputs.questions.length * state.run.recipe.sampling.m;
  io.stdout(
    `wrote ${out} (${done}/${wanted} candidates, ${state.validationLosses.length} D_v losses)\n`,
  );
  if (controller.signal.aborted && state.run.status !== 'done') {
    throw new CliError(
      EXIT.interrupted,
      `stopped by Ctrl-C during ${state.run.stage}; what was done is in ${out} — continue with: iwsi run --resume ${out}`,
    );
  }
  if (failure !== null) {
    const cause = engineError(failure, 'the run failed');
    if (cause instanceof CliError) {
      throw new CliError(
        cause.exitCode,
        `${cause.message} (what was done is in ${out}; continue with: iwsi run --resume ${out})`,
      );
    }
    throw runtimeError(
      `the run failed: ${describeError(failure)} (what was done is in ${out}; continue with: iwsi run --resume ${out})`,
    );
  }
}
