// The transformers.js backend in headless Chromium, through the real engine worker and protocol:
// the embedded model on threaded wasm and on WebGPU (a software adapter), scores checked against
// onnxruntime-node run on the same ONNX file in the test server (see engineCommands.ts), seeded
// sampling, cancellation, and no request leaving the origin.
//
// transformers.js keeps every file it fetched in the origin's Cache Storage ('transformers-cache'),
// and test files of one Vitest session share a browser context: after any earlier file loaded the
// model, this one would read it from that cache and never request it. So the test starts from an
// empty Cache Storage, and checks that what it leaves there came from the app too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from 'vitest/browser';
import { buildLossText } from '../../src/core/lossText';
import { buildPrompt } from '../../src/core/tasks/task';
import { toyArith } from '../../src/core/tasks/toyArith';
import { toyArithSplit } from '../../src/core/tasks/toyArithData';
import type { LossText } from '../../src/core/types';
import { startEngineWorker, type EngineClient } from '../../src/engine/client';
import type { LoadProgress, ModelInfo, ScoreResult } from '../../src/engine/types';

const MODEL_ID = 'toy-arith';
const validation = toyArithSplit('validation').slice(0, 3);
// Zero-shot ("Q: …\nA: "): a short prompt keeps the software WebGPU adapter and cold wasm quick.
const prompt = buildPrompt(toyArith, validation[0]!.question, []);

let client: EngineClient;

/** Every URL held in any cache of the origin's Cache Storage. */
async function cachedUrls(): Promise<string[]> {
  const urls: string[] = [];
  for (const name of await caches.keys()) {
    for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
  }
  return urls;
}

beforeAll(async () => {
  for (const name of await caches.keys()) await caches.delete(name);
  expect(await cachedUrls()).toEqual([]);
  await commands.startRequestLog();
  client = startEngineWorker();
  await client.ready;
});

afterAll(() => client.terminate());

function lossTexts(eosToken: string): LossText[] {
  return validation.flatMap((item) => [
    buildLossText(item.question, item.rationale, 'faithful', eosToken),
    buildLossText(item.question, item.rationale, 'clean', eosToken),
  ]);
}

/**
 * Browser scores equal Node's: the same tokens, and per-token log-probs and span means within
 * `tolerance`: 1e-4 on wasm (CPU arithmetic, like Node). WebGPU shaders sum and exponentiate in
 * their own order and precision: on the software adapter a token of log-probability −8 came out
 * 3e-3 apart (a relative error of 4e-4), so 1e-2 there.
 */
async function expectNodeScores(
  items: LossText[],
  results: ScoreResult[],
  info: ModelInfo,
  tolerance = 1e-4,
) {
  const nodeIds = await commands.nodeTokenIds(
    MODEL_ID,
    items.map((item) => item.text),
  );
  results.forEach((result, i) =>
    expect(result.tokenIds).toEqual([info.bosTokenId, ...nodeIds[i]!]),
  );
  const expected = await commands.ortReferenceLogprobs(
    MODEL_ID,
    results.map((r) => r.tokenIds),
  );
  results.forEach((result, i) => {
    const reference = expected[i]!;
    expect(result.logprobs).toHaveLength(reference.length);
    result.logprobs.forEach((lp, t) =>
      expect(Math.abs(lp - reference[t]!)).toBeLessThan(tolerance),
    );
    const inSpan = reference.filter((_, t) => result.spanMask[t]);
    const mean = -inSpan.reduce((a, b) => a + b, 0) / inSpan.length;
    expect(Math.abs(result.meanNll - mean)).toBeLessThan(tolerance);
  });
  // Faithful items average every token after BOS; clean items only the answer's.
  results.forEach((result, i) => {
    if (items[i]!.mode === 'faithful') expect(result.spanMask.every(Boolean)).toBe(true);
    else expect(result.scoredTokens).toBeLessThan(result.logprobs.length);
    expect(result.scoredTokens).toBeGreaterThan(0);
  });
}

describe('transformers.js on threaded wasm', () => {
  let info: ModelInfo;

  it('loads the embedded model from the app (no base URL given)', async () => {
    const progress: LoadProgress[] = [];
    info = await client.call(
      'load',
      { spec: { kind: 'transformers', modelId: MODEL_ID, device: 'wasm' } },
      { onProgress: (p) => progress.push(p) },
    );
    expect(crossOriginIsolated).toBe(true);
    const threads = Number(/^wasm \((\d+) threads?\)$/.exec(info.device)?.[1]);
    expect(threads).toBe(Math.max(1, Math.min(4, navigator.hardwareConcurrency)));
    expect(progress.at(-1)).toMatchObject({ phase: 'ready' });
    expect(progress.at(-1)!.loadedBytes).toBeGreaterThan(100_000);
  });

  it('scores like onnxruntime-node in Node', async () => {
    const items = lossTexts(info.eosToken);
    await expectNodeScores(items, await client.call('score', { items }), info);
  });

  it('samples reproducibly, independent of batching', async () => {
    // A hotter temperature makes the confident toy model's candidates differ within 8 draws.
    const options = { n: 8, temperature: 1.5, maxTokens: 24, seed: 11, stop: ['Q:'] };
    const first = await client.call('sample', { prompt, options });
    const again = await client.call('sample', { prompt, options });
    expect(again).toEqual(first);
    expect(await client.call('sample', { prompt, options: { ...options, indices: [3] } })).toEqual([
      first[3],
    ]);
    expect(first.every((c) => !c.text.includes('Q:'))).toBe(true);
    expect(new Set(first.map((c) => c.text)).size).toBeGreaterThan(1);
  });

  it('cancels a generation mid-way and scores afterwards', async () => {
    const controller = new AbortController();
    let streamed = 0;
    const running = client.call(
      'sample',
      { prompt, options: { n: 15, temperature: 1.1, maxTokens: 400, seed: 5 } },
      { signal: controller.signal, onProgress: () => streamed++ },
    );
    setTimeout(() => controller.abort(), 100);
    await expect(running).rejects.toMatchObject({ name: 'EngineError', code: 'cancelled' });
    expect(streamed).toBeLessThan(15);
    const items = lossTexts(info.eosToken).slice(0, 2);
    const [scored] = await client.call('score', { items });
    expect(Number.isFinite(scored!.meanNll)).toBe(true);
  });
});

describe('transformers.js on WebGPU', () => {
  it('loads, scores like Node and samples reproducibly', async () => {
    const info = await client.call('load', {
      spec: { kind: 'transformers', modelId: MODEL_ID, device: 'webgpu', modelBaseUrl: '/models/' },
    });
    expect(info.device).toBe('webgpu');
    // One short text and a few tokens: the software adapter is slow, and the first pass of each
    // shape compiles its shaders.
    const items = [
      buildLossText(
        'Tom has 3 cups. He gets 2 more.',
        'The answer is 5.',
        'faithful',
        info.eosToken,
      ),
    ];
    const scored = await client.call('score', { items });
    await expectNodeScores(items, scored, info, 1e-2);
    const options = { n: 2, temperature: 1.1, maxTokens: 4, seed: 3 };
    const first = await client.call('sample', { prompt, options });
    expect(first.map((c) => c.tokens).every((t) => t >= 1 && t <= 4)).toBe(true);
    expect(await client.call('sample', { prompt, options })).toEqual(first);
  });
});

describe('offline', () => {
  it('requested the model and the runtime from the app itself, nothing elsewhere', async () => {
    const urls = await commands.requestLog();
    expect(urls.some((url) => url.endsWith(`/models/${MODEL_ID}/onnx/model.onnx`))).toBe(true);
    expect(urls.some((url) => /ort-wasm-simd-threaded\.asyncify[^/]*\.wasm$/.test(url))).toBe(true);
    const elsewhere = urls.filter(
      (url) =>
        !url.startsWith('data:') &&
        !url.startsWith('blob:') &&
        new URL(url).origin !== location.origin,
    );
    expect(elsewhere).toEqual([]);
    // What transformers.js cached for the next load is the app's own copy.
    const cached = await cachedUrls();
    expect(cached).toContain(`${location.origin}/models/${MODEL_ID}/onnx/model.onnx`);
    expect(cached.filter((url) => new URL(url).origin !== location.origin)).toEqual([]);
  });
});
