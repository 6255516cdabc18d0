// Engine benchmark, measured in one run on the embedded toy model:
//  1. scoring throughput (tokens/s) of the transformers.js backend in Chromium (threaded wasm, in
//     the engine worker, through the protocol) divided by onnxruntime-node's on the same texts
//     (target ≥ 0.5), for the app's default (a pool of single-thread scoring workers on a
//     multi-core machine) and, side by side, for the engine's own session (`scoreWorkers: 1`),
//     rounds of the two interleaved; and both again in calls of 8 texts, as the pipeline scores;
//  2. sampling throughput for m = 15 candidates, batched (one decode step for all rows) versus
//     one candidate at a time (target ≥ 4×), in Chromium and in Node, with the method's few-shot
//     prompt and with the same question zero-shot. Batched sampling runs on the model's prefix
//     graph where the folder has one (the embedded model does); one at a time is m calls of one
//     candidate each, on the standard graph.
// Usage: npm run bench:engine [-- --items 96 --rounds 3 --sampling-rounds 2 --max-tokens 64
//   --warm-up 5]
// Both sides warm up for at least --warm-up seconds and until a warm-up round stops getting faster
// (kernel set-up, the wasm JIT's tier-up). Scoring also reports tokens per CPU-second (Linux):
// unlike wall-clock rates, it hardly moves when other work shares the machine.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { createServer } from 'vite';
import { chromiumArgs, chromiumPath } from '../scripts/chromium.js';
import { buildLossText } from '../src/core/lossText';
import { buildPrompt } from '../src/core/tasks/task';
import { toyArith } from '../src/core/tasks/toyArith';
import { generateToyArith } from '../src/core/tasks/toyArithData';
import { TransformersEngine } from '../src/engine/backends/transformers';
import type { ModelSpec, SampleOptions } from '../src/engine/types';
import type {
  BenchEngine,
  BrowserBenchInfo,
  BrowserBenchRequest,
  BrowserScoreResult,
} from './engineBrowser';
import { childrenCpuSeconds, ownCpuSeconds } from './engineCpu';
import { measureSampling, warmUp, type SamplingFigures } from './engineMeasure';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'toy-arith' },
    items: { type: 'string', default: '96' },
    rounds: { type: 'string', default: '3' },
    'sampling-rounds': { type: 'string', default: '2' },
    'max-tokens': { type: 'string', default: '64' },
    'warm-up': { type: 'string', default: '5' },
  },
});
const modelId = values.model;
/** Texts per scoring call of the pipeline (src/pipeline/runner.ts, scoreBatchSize). */
const PIPELINE_CALL_SIZE = 8;
const root = resolve(import.meta.dirname, '..');

async function main(): Promise<void> {
  const node = new TransformersEngine();
  const info = await node.load({
    kind: 'transformers',
    modelId,
    modelBaseUrl: resolve(root, 'public/models'),
  });
  const problems = generateToyArith({ seed: 7, count: Number(values.items) + 1 });
  const items = problems
    .slice(1)
    .map((p) => buildLossText(p.question, p.rationale, 'faithful', info.eosToken));
  // The method's few-shot prompt, and the same question zero-shot (a short prompt).
  const question = problems[0]!.question;
  const prompts = [buildPrompt(toyArith, question), buildPrompt(toyArith, question, [])];
  const sample: SampleOptions = {
    n: 15,
    temperature: 1.1,
    maxTokens: Number(values['max-tokens']),
    seed: 1234,
  };
  const rounds = Number(values.rounds);
  const samplingRounds = Number(values['sampling-rounds']);
  const warmUpSeconds = Number(values['warm-up']);

  // Node: onnxruntime-node on the CPU.
  const nodeSample = (prompt: string, options: SampleOptions) => node.sample(prompt, options);
  await warmUp(warmUpSeconds, async () => {
    await node.score(items.slice(0, 16));
    for (const prompt of prompts) await nodeSample(prompt, { ...sample, indices: [0] });
  });
  let nodeTokens = 0;
  const nodeStart = performance.now();
  const nodeCpuStart = ownCpuSeconds();
  for (let round = 0; round < rounds; round++) {
    const results = await node.score(items);
    nodeTokens += results.reduce((sum, r) => sum + r.tokenIds.length, 0);
  }
  const nodeScoreSeconds = (performance.now() - nodeStart) / 1000;
  const nodeScoreCpu = ownCpuSeconds() - nodeCpuStart;
  const nodeSampling: SamplingFigures[] = [];
  for (const prompt of prompts) {
    const promptTokens = (await node.tokenize(prompt, { addBos: true })).length;
    nodeSampling.push(
      await measureSampling(nodeSample, prompt, promptTokens, sample, samplingRounds),
    );
  }
  const sharedPromptCache = node.sharesPromptCache;
  await node.unload();

  // Chromium: the same texts through the engine worker, served by the Vite dev server.
  const server = await createServer({
    root,
    configFile: resolve(root, 'vite.config.ts'),
    logLevel: 'error',
    server: { host: '127.0.0.1', port: 0 },
  });
  await server.listen();
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: chromiumArgs,
    headless: true,
  });
  let bench: BrowserBenchInfo;
  // Per engine and call size: tokens, seconds and CPU-seconds summed over its rounds.
  type Sum = { tokens: number; seconds: number; cpu: number | null };
  const web = new Map<string, Sum>();
  const poolWorkers = new Set<number>();
  let difference: number;
  let webSampling: SamplingFigures[];
  try {
    const address = server.httpServer?.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/bench/engine.html`);
    await page.waitForFunction(() => document.title === 'engine bench ready', null, {
      timeout: 120_000,
    });
    const spec: ModelSpec = { kind: 'transformers', modelId, device: 'wasm' };
    const request: BrowserBenchRequest = {
      spec,
      items,
      rounds,
      warmUpSeconds,
      prompts,
      sample,
      samplingRounds,
    };
    type BenchPage = {
      startEngineBench(r: BrowserBenchRequest): Promise<BrowserBenchInfo>;
      scoreEngineBench(which: BenchEngine, callSize?: number): Promise<BrowserScoreResult>;
      scoreDifference(): Promise<number>;
      sampleEngineBench(): Promise<SamplingFigures[]>;
    };
    bench = await page.evaluate(
      (r) => (globalThis as unknown as BenchPage).startEngineBench(r),
      request,
    );
    // The two engines alternate which goes first, so that a slow spell falls on both.
    for (let round = 0; round < rounds; round++) {
      const order: BenchEngine[] = round % 2 === 0 ? ['app', 'session'] : ['session', 'app'];
      for (const [which, callSize] of order.flatMap((w) => [
        [w, undefined] as const,
        [w, PIPELINE_CALL_SIZE] as const,
      ])) {
        const cpuStart = childrenCpuSeconds();
        const scored = await page.evaluate(
          ([w, size]) => (globalThis as unknown as BenchPage).scoreEngineBench(w, size),
          [which, callSize] as const,
        );
        const cpuEnd = childrenCpuSeconds();
        const key = `${which}:${callSize ?? 'all'}`;
        const sum = web.get(key) ?? { tokens: 0, seconds: 0, cpu: 0 };
        sum.tokens += scored.scoreTokens;
        sum.seconds += scored.scoreSeconds;
        sum.cpu =
          cpuStart === null || cpuEnd === null || sum.cpu === null
            ? null
            : sum.cpu + cpuEnd - cpuStart;
        web.set(key, sum);
        if (which === 'app' && callSize === undefined) poolWorkers.add(scored.poolWorkers);
      }
    }
    difference = await page.evaluate(() => (globalThis as unknown as BenchPage).scoreDifference());
    webSampling = await page.evaluate(() =>
      (globalThis as unknown as BenchPage).sampleEngineBench(),
    );
  } finally {
    await browser.close();
    await server.close();
  }

  const rate = (tokens: number, seconds: number): string =>
    `${(tokens / seconds).toFixed(0)} tok/s`;
  const nodeScoreRate = nodeTokens / nodeScoreSeconds;
  const app = web.get('app:all')!;
  const session = web.get('session:all')!;
  const appCalls = web.get(`app:${PIPELINE_CALL_SIZE}`)!;
  const sessionCalls = web.get(`session:${PIPELINE_CALL_SIZE}`)!;
  const appRate = app.tokens / app.seconds;
  const sessionRate = session.tokens / session.seconds;
  const workers = [...poolWorkers].join('/');
  const appLabel =
    bench.scoreWorkers > 1
      ? `${bench.device}, ${bench.scoreWorkers} scoring workers of 1 thread (${workers} ran)`
      : `${bench.device}, its own session`;
  const webLine = (label: string, f: Sum) =>
    `  chromium (${label})  ${rate(f.tokens, f.seconds)}  (${f.tokens} tokens in ${f.seconds.toFixed(2)} s${perCpu(f.tokens, f.cpu)})`;
  const perCpu = (tokens: number, cpu: number | null): string =>
    cpu === null ? '' : `, ${(tokens / cpu).toFixed(0)} tok per CPU-second`;
  const samplingLine = (where: string, f: SamplingFigures): string =>
    `  ${where.padEnd(9)} prompt ${String(f.promptTokens).padStart(4)} tokens: batched ${rate(f.tokens, f.batchedSeconds)}, one at a time ${rate(f.tokens, f.singleSeconds)}: ${(f.singleSeconds / f.batchedSeconds).toFixed(2)}×${f.same ? '' : '  (candidates differ!)'}`;
  const lines = [
    `model ${modelId}: ${items.length} texts × ${rounds} rounds; sampling m = ${sample.n}, T = ${sample.temperature}, ≤ ${sample.maxTokens} new tokens, ${samplingRounds} rounds`,
    '',
    'scoring',
    `  node (onnxruntime-node, cpu)   ${rate(nodeTokens, nodeScoreSeconds)}  (${nodeTokens} tokens in ${nodeScoreSeconds.toFixed(2)} s${perCpu(nodeTokens, nodeScoreCpu)})`,
    webLine(`app default: ${appLabel}`, app),
    webLine(`${bench.device}, scoreWorkers: 1, its own session`, session),
    `  ratio chromium / node: ${(appRate / nodeScoreRate).toFixed(2)}  (app default; target ≥ 0.5); one session ${(sessionRate / nodeScoreRate).toFixed(2)}`,
    `  app default / one session: ${(appRate / sessionRate).toFixed(2)}×  (largest log-prob difference ${difference.toExponential(1)})`,
    `  in calls of ${PIPELINE_CALL_SIZE} texts (the pipeline's): app default ${rate(appCalls.tokens, appCalls.seconds)}${perCpu(appCalls.tokens, appCalls.cpu)}; one session ${rate(sessionCalls.tokens, sessionCalls.seconds)}${perCpu(sessionCalls.tokens, sessionCalls.cpu)}: ${(appCalls.tokens / appCalls.seconds / (sessionCalls.tokens / sessionCalls.seconds)).toFixed(2)}×`,
    '',
    `sampling m = ${sample.n}: batched (one decode step for all rows${sharedPromptCache ? ', prompt cache shared through the prefix graph' : ''}) vs one candidate at a time (target ≥ 4×)`,
    ...nodeSampling.map((f) => samplingLine('node', f)),
    ...webSampling.map((f) => samplingLine('chromium', f)),
    `  batched and one-at-a-time candidates identical: ${[...nodeSampling, ...webSampling].every((f) => f.same)}`,
  ];
  console.log(lines.join('\n'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
