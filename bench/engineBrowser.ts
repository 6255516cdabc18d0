// The browser half of bench/engine.ts: runs inside bench/engine.html (served by the Vite dev
// server, cross-origin isolated) and drives the real engine worker through the protocol. Two
// engine workers load the model: one with the app's defaults (scoring on the pool of
// single-thread workers where the machine has several cores) and one with `scoreWorkers: 1`
// (scoring on the engine's own threaded session), so both are measured in the same run. The Node
// side calls the phases one by one, so that it can read the CPU time of each scoring round.
import type { LossText } from '../src/core/types';
import { startEngineWorker, type EngineClient } from '../src/engine/client';
import type { ModelSpec, SampleOptions, ScoreResult } from '../src/engine/types';
import { measureSampling, warmUp, type SamplingFigures } from './engineMeasure';

export interface BrowserBenchRequest {
  spec: ModelSpec;
  items: LossText[];
  rounds: number;
  /** Keep warming up (scoring and sampling) for at least this long before measuring. */
  warmUpSeconds: number;
  prompts: string[];
  sample: SampleOptions;
  /** Batched / one-at-a-time measurements per prompt (interleaved). */
  samplingRounds: number;
}

/** 'app': the app's default engine; 'session': the same model with `scoreWorkers: 1`. */
export type BenchEngine = 'app' | 'session';

export interface BrowserBenchInfo {
  device: string;
  /** Scoring workers of the app's default engine (1: its own session). */
  scoreWorkers: number;
}

export interface BrowserScoreResult {
  scoreTokens: number;
  scoreSeconds: number;
  /** Pool workers that scored batches of the round (0: the engine's session alone). */
  poolWorkers: number;
}

const clients = new Map<BenchEngine, EngineClient>();
const lastResults = new Map<BenchEngine, ScoreResult[]>();
let request: BrowserBenchRequest | null = null;

function client(which: BenchEngine): EngineClient {
  const found = clients.get(which);
  if (!found) throw new Error('startEngineBench first');
  return found;
}

function sample(prompt: string, options: SampleOptions) {
  return client('app').call('sample', { prompt, options });
}

/** Starts both workers, loads the model and warms up; returns the app engine's device. */
async function startEngineBench(r: BrowserBenchRequest): Promise<BrowserBenchInfo> {
  request = r;
  clients.set('app', startEngineWorker());
  clients.set('session', startEngineWorker());
  const [info] = await Promise.all([
    client('app').call('load', { spec: r.spec }),
    client('session').call('load', { spec: { ...r.spec, scoreWorkers: 1 } }),
  ]);
  const scoreWorkers = info.scoreWorkers ?? 1;
  // The pool loads in the background of the first scoring call; wait until all its workers score.
  const started = performance.now();
  for (let workers = scoreWorkers > 1 ? 0 : 1; workers < scoreWorkers;) {
    if (performance.now() - started > 90_000) throw new Error('the scoring pool did not start');
    await client('app').call(
      'score',
      { items: r.items },
      { onProgress: (p) => (workers = p.scoreWorkers ?? workers) },
    );
  }
  await warmUp(r.warmUpSeconds, async () => {
    await client('app').call('score', { items: r.items });
    await client('session').call('score', { items: r.items });
    for (const prompt of r.prompts) await sample(prompt, { ...r.sample, indices: [0] });
  });
  return { device: info.device, scoreWorkers };
}

/**
 * One scoring round of all texts on one of the two engines, in calls of `callSize` texts (all
 * at once when absent; the pipeline scores 8 per call).
 */
async function scoreEngineBench(
  which: BenchEngine,
  callSize?: number,
): Promise<BrowserScoreResult> {
  if (!request) throw new Error('startEngineBench first');
  let poolWorkers = 0;
  const texts = request.items;
  const size = callSize ?? texts.length;
  const results: ScoreResult[] = [];
  const start = performance.now();
  for (let from = 0; from < texts.length; from += size) {
    const scored = await client(which).call(
      'score',
      { items: texts.slice(from, from + size) },
      { onProgress: (p) => (poolWorkers = Math.max(poolWorkers, p.scoreWorkers ?? 0)) },
    );
    results.push(...scored);
  }
  const scoreSeconds = (performance.now() - start) / 1000;
  if (callSize === undefined) lastResults.set(which, results);
  const scoreTokens = results.reduce((sum, r) => sum + r.tokenIds.length, 0);
  return { scoreTokens, scoreSeconds, poolWorkers };
}

/** The largest difference of a log-prob between the two engines' last rounds. */
function scoreDifference(): number {
  const app = lastResults.get('app');
  const session = lastResults.get('session');
  if (!app || !session) throw new Error('score on both engines first');
  let largest = 0;
  app.forEach((result, i) =>
    result.logprobs.forEach((lp, t) => {
      largest = Math.max(largest, Math.abs(lp - (session[i]?.logprobs[t] ?? NaN)));
    }),
  );
  return largest;
}

/** Sampling figures for every prompt (app engine); ends both workers. */
async function sampleEngineBench(): Promise<SamplingFigures[]> {
  if (!request) throw new Error('startEngineBench first');
  try {
    const sampling: SamplingFigures[] = [];
    for (const prompt of request.prompts) {
      const promptTokens = (await client('app').call('tokenize', { text: prompt, addBos: true }))
        .length;
      sampling.push(
        await measureSampling(sample, prompt, promptTokens, request.sample, request.samplingRounds),
      );
    }
    return sampling;
  } finally {
    for (const c of clients.values()) c.terminate();
    clients.clear();
  }
}

Object.assign(globalThis, {
  startEngineBench,
  scoreEngineBench,
  scoreDifference,
  sampleEngineBench,
});
document.title = 'engine bench ready';
