// The transformers.js backend in Node (onnxruntime-node) on the embedded toy model: loading,
// tokenisation, seeded sampling independent of batching, stop strings, greedy decoding, abort,
// and scores checked against the ONNX file run directly (test/support/ortReference.ts).
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLossText } from '../../../src/core/lossText';
import { buildPrompt } from '../../../src/core/tasks/task';
import { toyArith } from '../../../src/core/tasks/toyArith';
import { toyArithSplit } from '../../../src/core/tasks/toyArithData';
import type { LossText } from '../../../src/core/types';
import { TransformersEngine } from '../../../src/engine/backends/transformers';
import { EngineError } from '../../../src/engine/protocol';
import type { Candidate, LoadProgress, ModelInfo, SampleProgress } from '../../../src/engine/types';
import { openOrtReference, type OrtReference } from '../../support/ortReference';

const MODELS = resolve('public/models');
const MODEL_ID = 'toy-arith';
const MODEL_DIR = resolve(MODELS, MODEL_ID);

const validation = toyArithSplit('validation').slice(0, 6);
/** The prompt of the validation question with the shortest rationale (set in beforeAll). */
let prompt = '';

let engine: TransformersEngine;
let info: ModelInfo;
let reference: OrtReference;
const loadProgress: LoadProgress[] = [];

beforeAll(async () => {
  engine = new TransformersEngine();
  info = await engine.load(
    { kind: 'transformers', modelId: MODEL_ID, modelBaseUrl: MODELS },
    { onProgress: (p) => loadProgress.push(p) },
  );
  reference = await openOrtReference(MODEL_DIR);
  // A short answer, so that 32 new tokens see candidates end by EOS, by "Q:" and by length.
  let shortest = Infinity;
  for (const item of toyArithSplit('validation')) {
    const length = (await engine.tokenize(item.rationale)).length;
    if (length < shortest) {
      shortest = length;
      prompt = buildPrompt(toyArith, item.question);
    }
  }
});

afterAll(async () => {
  await engine?.unload();
  await reference?.release();
});

/** Loss texts in both modes: D_v references and a few odd answers (empty, long, unicode). */
function lossTexts(): LossText[] {
  const items: LossText[] = [];
  for (const item of validation) {
    items.push(buildLossText(item.question, item.rationale, 'faithful', info.eosToken));
    items.push(buildLossText(item.question, item.rationale, 'clean', info.eosToken));
  }
  items.push(buildLossText(validation[1]!.question, '', 'clean', info.eosToken));
  items.push(buildLossText(validation[2]!.question, 'Ünïcode ✓ 42.', 'faithful', info.eosToken));
  return items;
}

/** Equal to 1e-4, or both NaN (a span without tokens). */
function expectClose(actual: number, expected: number): void {
  if (Number.isNaN(expected)) expect(actual).toBeNaN();
  else expect(Math.abs(actual - expected)).toBeLessThan(1e-4);
}

describe('load and tokenize', () => {
  it('loads the embedded model on the CPU and reports its files', () => {
    expect(existsSync(resolve(MODEL_DIR, 'onnx/model.onnx'))).toBe(true);
    expect(info).toMatchObject({ kind: 'transformers', modelId: MODEL_ID, device: 'cpu' });
    expect(info.vocabSize).toBeGreaterThan(0);
    expect(info.bosTokenId).not.toBeNull();
    expect(info.eosTokenId).not.toBeNull();
    const last = loadProgress.at(-1)!;
    expect(last.phase).toBe('ready');
    expect(last.filesDone).toBe(last.filesTotal);
    expect(last.loadedBytes).toBeGreaterThanOrEqual(
      statSync(resolve(MODEL_DIR, 'onnx/model.onnx')).size,
    );
    expect(loadProgress.some((p) => p.phase === 'init')).toBe(true);
    // The folder's batched-sampling graph is loaded, so the batched sampling tests below run on
    // it while single candidates run on the standard graph.
    expect(engine.sharesPromptCache).toBe(true);
  });

  it('round-trips text through tokenize and detokenize', async () => {
    for (const text of [prompt, validation[3]!.rationale, 'Q: 12 + 30 = 42.\nA: ok']) {
      const ids = await engine.tokenize(text);
      expect(ids.length).toBeGreaterThan(0);
      expect(await engine.detokenize(ids)).toBe(text);
      const withBos = await engine.tokenize(text, { addBos: true });
      expect(withBos).toEqual([info.bosTokenId, ...ids]);
    }
  });

  it('fails clearly for a missing model and for calls before a load', async () => {
    const other = new TransformersEngine();
    await expect(other.tokenize('x')).rejects.toMatchObject({ code: 'bad-request' });
    const error = await other
      .load({ kind: 'transformers', modelId: 'no-such-model', modelBaseUrl: MODELS })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).code).toBe('load-failed');
    expect((error as EngineError).message).toContain('no-such-model');
  });
});

describe('sampling', () => {
  const options = { n: 15, temperature: 1.1, maxTokens: 32, seed: 2024, stop: ['Q:'] };
  let batch: Candidate[] = [];

  it('is reproducible and does not depend on batching', async () => {
    const streamed: SampleProgress[] = [];
    batch = await engine.sample(prompt, options, { onCandidate: (p) => streamed.push(p) });
    expect(batch.map((c) => c.index)).toEqual([...Array(15).keys()]);
    expect(streamed.map((p) => p.done)).toEqual([...Array(15).keys()].map((i) => i + 1));
    expect(new Set(streamed.map((p) => p.candidate.index)).size).toBe(15);

    const alone = await engine.sample(prompt, { ...options, indices: [3] });
    expect(alone).toEqual([batch[3]]);
    const pair = await engine.sample(prompt, { ...options, indices: [11, 4] });
    expect(pair).toEqual([batch[4], batch[11]]);

    // Different candidates and different seeds give different texts.
    expect(new Set(batch.map((c) => c.text)).size).toBeGreaterThan(1);
    const otherSeed = await engine.sample(prompt, { ...options, seed: 7 });
    expect(otherSeed.map((c) => c.text)).not.toEqual(batch.map((c) => c.text));
  });

  it('ends a candidate at a stop string, without the stop string', async () => {
    const stopped = await engine.sample(prompt, options);
    expect(stopped).toEqual(batch); // the same call twice gives the same candidates
    const free = await engine.sample(prompt, { ...options, stop: [] });
    expect(stopped.some((c) => c.finishReason === 'stop')).toBe(true);
    stopped.forEach((candidate, i) => {
      expect(candidate.text).not.toContain('Q:');
      // Same seed, same tokens up to the stop: the stopped text is a prefix of the free one.
      expect(free[i]!.text.startsWith(candidate.text)).toBe(true);
      if (candidate.finishReason === 'stop') {
        expect(free[i]!.text.slice(candidate.text.length)).toMatch(/^Q:/);
      }
      expect(candidate.tokens).toBeLessThanOrEqual(options.maxTokens);
    });
    expect(free.some((c) => c.finishReason === 'length' && c.tokens === options.maxTokens)).toBe(
      true,
    );
  });

  it('decodes greedily like the reference argmax over full forward passes', async () => {
    const steps = 16;
    const greedy = await engine.greedy(prompt, { maxTokens: steps });
    const promptIds = await engine.tokenize(prompt, { addBos: true });
    const expected = await reference.greedy(promptIds, steps);
    const eos = expected.indexOf(info.eosTokenId!);
    const kept = eos >= 0 ? expected.slice(0, eos) : expected;
    expect(greedy.tokens).toBe(eos >= 0 ? eos + 1 : steps);
    const tailIds = await engine.tokenize(prompt.slice(-8));
    const withTail = await engine.detokenize([...tailIds, ...kept]);
    expect(greedy.text).toBe(withTail.slice((await engine.detokenize(tailIds)).length));
    // Temperature 0 sampling is the same argmax.
    const cold = await engine.sample(prompt, { n: 2, temperature: 0, maxTokens: steps, seed: 1 });
    expect(cold.map((c) => c.text)).toEqual([greedy.text, greedy.text]);
  });

  it('stops between steps when aborted and keeps working', async () => {
    const controller = new AbortController();
    const long = { n: 15, temperature: 1.1, maxTokens: 400, seed: 99 };
    const running = engine.sample(prompt, long, { signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    await expect(running).rejects.toMatchObject({ code: 'cancelled' });
    const after = await engine.sample(prompt, options);
    expect(after).toEqual(await engine.sample(prompt, options));
    const scored = await engine.score(lossTexts().slice(0, 1));
    expect(Number.isFinite(scored[0]!.meanNll)).toBe(true);
  });

  it('rejects bad sampling requests', async () => {
    await expect(engine.sample(prompt, { ...options, n: 0 })).rejects.toMatchObject({
      code: 'bad-request',
    });
    await expect(engine.sample(prompt, { ...options, indices: [15] })).rejects.toMatchObject({
      code: 'bad-request',
    });
    await expect(engine.sample(prompt, { ...options, temperature: -1 })).rejects.toMatchObject({
      code: 'bad-request',
    });
  });
});

describe('scoring', () => {
  it('agrees with onnxruntime-node run directly, token by token', async () => {
    const items = lossTexts();
    const scored = await engine.score(items);
    for (const [i, result] of scored.entries()) {
      expect(result.tokenIds).toEqual(await engine.tokenize(items[i]!.text, { addBos: true }));
      const expected = await reference.logprobs(result.tokenIds);
      expect(result.logprobs).toHaveLength(expected.length);
      result.logprobs.forEach((lp, t) => expect(Math.abs(lp - expected[t]!)).toBeLessThan(1e-4));
      const inSpan = expected.filter((_, t) => result.spanMask[t]);
      const mean = inSpan.length === 0 ? NaN : -inSpan.reduce((a, b) => a + b, 0) / inSpan.length;
      expectClose(result.meanNll, mean);
      expect(result.scoredTokens).toBe(inSpan.length);
    }
  });

  it('gives the same scores batched and one at a time', async () => {
    const items = lossTexts();
    const batched = await engine.score(items);
    for (const [i, item] of items.entries()) {
      const [single] = await engine.score([item]);
      expect(single!.tokenIds).toEqual(batched[i]!.tokenIds);
      single!.logprobs.forEach((lp, t) =>
        expect(Math.abs(lp - batched[i]!.logprobs[t]!)).toBeLessThan(1e-4),
      );
      expectClose(single!.meanNll, batched[i]!.meanNll);
    }
  });

  it('masks the whole sequence (faithful) or the answer only (clean)', async () => {
    const item = validation[4]!;
    const [faithful, clean] = await engine.score([
      buildLossText(item.question, item.rationale, 'faithful', info.eosToken),
      buildLossText(item.question, item.rationale, 'clean', info.eosToken),
    ]);
    expect(faithful!.spanMask.every(Boolean)).toBe(true);
    expect(faithful!.scoredTokens).toBe(faithful!.tokenIds.length - 1);
    // The toy tokenizer never merges across "A: ", so the answer's tokens are exactly the tail.
    const prefixTokens = (await engine.tokenize(`Q: ${item.question}\nA: `)).length;
    const answerTokens = (await engine.tokenize(item.rationale)).length;
    expect(clean!.tokenIds.length).toBe(1 + prefixTokens + answerTokens);
    expect(clean!.spanMask).toEqual([
      ...Array<boolean>(prefixTokens).fill(false),
      ...Array<boolean>(answerTokens).fill(true),
    ]);
    // An empty answer has no tokens in its span.
    const [empty] = await engine.score([buildLossText(item.question, '', 'clean', info.eosToken)]);
    expect(empty!.scoredTokens).toBe(0);
    expect(empty!.meanNll).toBeNaN();
  });

  it('truncates to maxTokens from the right, BOS included', async () => {
    const item = buildLossText(
      validation[0]!.question,
      validation[0]!.rationale,
      'faithful',
      info.eosToken,
      10,
    );
    const [result] = await engine.score([item]);
    const full = await engine.tokenize(item.text, { addBos: true });
    expect(result!.truncated).toBe(true);
    expect(result!.tokenIds).toEqual(full.slice(0, 10));
    expect(result!.logprobs).toHaveLength(9);
    const expected = await reference.logprobs(full.slice(0, 10));
    result!.logprobs.forEach((lp, t) => expect(Math.abs(lp - expected[t]!)).toBeLessThan(1e-4));
  });

  it('scores without BOS when asked', async () => {
    const text = validation[5]!.rationale;
    const [result] = await engine.score([
      { text, addBos: false, span: [0, text.length], maxTokens: 400, mode: 'faithful' },
    ]);
    expect(result!.tokenIds).toEqual(await engine.tokenize(text));
    expect(result!.logprobs).toHaveLength(result!.tokenIds.length - 1);
    expect(result!.spanMask.every(Boolean)).toBe(true);
  });
});
