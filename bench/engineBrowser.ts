// The browser half of bench/engine.ts: runs inside bench/engine.html (served by the Vite dev
// server, cross-origin isolated) and drives the real engine worker through the protocol. The
// Node side calls the three phases one by one, so that it can read the CPU time of the scoring
// phase alone.
import type { LossText } from '../src/core/types';
import { startEngineWorker, type EngineClient } from '../src/engine/client';
import type { ModelSpec, SampleOptions } from '../src/engine/types';
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

export interface BrowserScoreResult {
  scoreTokens: number;
  scoreSeconds: number;
}

let client: EngineClient | null = null;
let request: BrowserBenchRequest | null = null;

function sample(prompt: string, options: SampleOptions) {
  if (!client) throw new Error('startEngineBench first');
  return client.call('sample', { prompt, options });
}

/** Starts the worker, loads the model and warms up; returns the device label. */
async function startEngineBench(r: BrowserBenchRequest): Promise<string> {
  request = r;
  client = startEngineWorker();
  const info = await client.call('load', { spec: r.spec });
  await warmUp(r.warmUpSeconds, async () => {
    await client!.call('score', { items: r.items.slice(0, 16) });
    for (const prompt of r.prompts) await sample(prompt, { ...r.sample, indices: [0] });
  });
  return info.device;
}

async function scoreEngineBench(): Promise<BrowserScoreResult> {
  if (!client || !request) throw new Error('startEngineBench first');
  let scoreTokens = 0;
  const scoreStart = performance.now();
  for (let round = 0; round < request.rounds; round++) {
    const results = await client.call('score', { items: request.items });
    scoreTokens += results.reduce((sum, r) => sum + r.tokenIds.length, 0);
  }
  return { scoreTokens, scoreSeconds: (performance.now() - scoreStart) / 1000 };
}

/** Sampling figures for every prompt; ends the worker. */
async function sampleEngineBench(): Promise<SamplingFigures[]> {
  if (!client || !request) throw new Error('startEngineBench first');
  try {
    const sampling: SamplingFigures[] = [];
    for (const prompt of request.prompts) {
      const promptTokens = (await client.call('tokenize', { text: prompt, addBos: true })).length;
      sampling.push(
        await measureSampling(sample, prompt, promptTokens, request.sample, request.samplingRounds),
      );
    }
    return sampling;
  } finally {
    client.terminate();
    client = null;
  }
}

Object.assign(globalThis, { startEngineBench, scoreEngineBench, sampleEngineBench });
document.title = 'engine bench ready';
