// The embedded model's batched-sampling graph (onnx/model_prefix.onnx: the prompt's KV cache
// shared with batch 1, each row's generated part its own): its logits against the standard graph
// run with whole per-row caches, and the transformers.js backend using it for several rows with
// exactly the candidates of the standard path (a copy of the folder without the prefix graph),
// falling back to that path when the graph is missing or unreadable.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/rng';
import { buildPrompt } from '../../../src/core/tasks/task';
import { toyArith } from '../../../src/core/tasks/toyArith';
import { toyArithSplit } from '../../../src/core/tasks/toyArithData';
import { TransformersEngine } from '../../../src/engine/backends/transformers';
import type { SampleOptions } from '../../../src/engine/types';

const MODELS = resolve('public/models');
const MODEL_ID = 'toy-arith';
const MODEL_DIR = join(MODELS, MODEL_ID);
const LAYERS = 4;
const KV_HEADS = 3;
const HEAD_DIM = 64;
const VOCAB = 680;

const question = toyArithSplit('validation')[0]!.question;
const fewShot = buildPrompt(toyArith, question);

/** A copy of the model folder; `prefixGraph` replaces onnx/model_prefix.onnx (null: none). */
function copyModel(root: string, name: string, prefixGraph: Uint8Array | null): void {
  const target = join(root, name);
  mkdirSync(join(target, 'onnx'), { recursive: true });
  for (const file of readdirSync(MODEL_DIR)) {
    if (file !== 'onnx') copyFileSync(join(MODEL_DIR, file), join(target, file));
  }
  copyFileSync(join(MODEL_DIR, 'onnx/model.onnx'), join(target, 'onnx/model.onnx'));
  if (prefixGraph) writeFileSync(join(target, 'onnx/model_prefix.onnx'), prefixGraph);
}

describe('the prefix graph run directly', () => {
  let standard: ort.InferenceSession;
  let prefixGraph: ort.InferenceSession;

  beforeAll(async () => {
    standard = await ort.InferenceSession.create(join(MODEL_DIR, 'onnx/model.onnx'));
    prefixGraph = await ort.InferenceSession.create(join(MODEL_DIR, 'onnx/model_prefix.onnx'));
  });
  afterAll(async () => {
    await standard?.release();
    await prefixGraph?.release();
  });

  const int64 = (values: number[], dims: number[]): ort.Tensor =>
    new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), dims);
  const empty = (batch: number): ort.Tensor =>
    new ort.Tensor('float32', new Float32Array(0), [batch, KV_HEADS, 0, HEAD_DIM]);
  const layerNames = (f: (i: number, kind: string) => string): string[] =>
    Array.from({ length: LAYERS }, (_, i) => ['key', 'value'].map((kind) => f(i, kind))).flat();

  it('gives the logits of the standard graph with whole per-row caches, to 1e-4', async () => {
    const rng = createRng(5);
    const prompt = [1, ...Array.from({ length: 40 }, () => rng.int(4, VOCAB - 1))];
    const rows = 4;
    const steps = 5;
    const prefill = await standard.run({
      input_ids: int64(prompt, [1, prompt.length]),
      attention_mask: int64(
        prompt.map(() => 1),
        [1, prompt.length],
      ),
      position_ids: int64(
        prompt.map((_, t) => t),
        [1, prompt.length],
      ),
      ...Object.fromEntries(
        layerNames((i, k) => `past_key_values.${i}.${k}`).map((n) => [n, empty(1)]),
      ),
    });
    const shared = Object.fromEntries(
      layerNames((i, k) => `${i}.${k}`).map((n) => {
        const [i, k] = n.split('.');
        return [`prefix_${k}.${i}`, prefill[`present.${n}`]!];
      }),
    );
    let generated: Record<string, ort.Tensor> = Object.fromEntries(
      layerNames((i, k) => `past_${k}.${i}`).map((n) => [n, empty(rows)]),
    );
    let whole: Record<string, ort.Tensor> = Object.fromEntries(
      layerNames((i, k) => `${i}.${k}`).map((n) => {
        const one = prefill[`present.${n}`]!.data as Float32Array;
        const copies = new Float32Array(one.length * rows);
        for (let r = 0; r < rows; r++) copies.set(one, r * one.length);
        const dims = [rows, KV_HEADS, prompt.length, HEAD_DIM];
        return [`past_key_values.${n}`, new ort.Tensor('float32', copies, dims)];
      }),
    );
    let worst = 0;
    let rowsApart = 0;
    for (let s = 0; s < steps; s++) {
      const ids = Array.from({ length: rows }, () => rng.int(4, VOCAB - 1));
      const positions = ids.map(() => prompt.length + s);
      const out = await prefixGraph.run({
        input_ids: int64(ids, [rows, 1]),
        position_ids: int64(positions, [rows, 1]),
        ...shared,
        ...generated,
      });
      const expected = await standard.run({
        input_ids: int64(ids, [rows, 1]),
        attention_mask: int64(Array<number>(rows * (prompt.length + s + 1)).fill(1), [
          rows,
          prompt.length + s + 1,
        ]),
        position_ids: int64(positions, [rows, 1]),
        ...whole,
      });
      expect(out.logits!.dims).toEqual([rows, 1, VOCAB]);
      const got = out.logits!.data as Float32Array;
      const want = expected.logits!.data as Float32Array;
      for (let v = 0; v < got.length; v++) worst = Math.max(worst, Math.abs(got[v]! - want[v]!));
      for (let v = 0; v < VOCAB; v++)
        rowsApart = Math.max(rowsApart, Math.abs(got[v]! - got[VOCAB + v]!));
      // Only the generated part comes back: step s leaves s + 1 cached tokens per row.
      expect(out['present_key.0']!.dims).toEqual([rows, KV_HEADS, s + 1, HEAD_DIM]);
      generated = Object.fromEntries(
        layerNames((i, k) => `${i}.${k}`).map((n) => {
          const [i, k] = n.split('.');
          return [`past_${k}.${i}`, out[`present_${k}.${i}`]!];
        }),
      );
      whole = Object.fromEntries(
        layerNames((i, k) => `${i}.${k}`).map((n) => [
          `past_key_values.${n}`,
          expected[`present.${n}`]!,
        ]),
      );
    }
    expect(worst).toBeLessThan(1e-4);
    // The rows fed different tokens and got different logits: each row has its own result.
    expect(rowsApart).toBeGreaterThan(0.01);
  });
});

describe('batched sampling on the prefix graph', () => {
  const root = mkdtempSync(join(tmpdir(), 'iwsi-prefix-'));
  const shared = new TransformersEngine();
  const standard = new TransformersEngine();
  const options: SampleOptions = { n: 15, temperature: 1.1, maxTokens: 64, seed: 31, stop: ['Q:'] };

  beforeAll(async () => {
    copyModel(root, 'without-prefix', null);
    await shared.load({ kind: 'transformers', modelId: MODEL_ID, modelBaseUrl: MODELS });
    await standard.load({ kind: 'transformers', modelId: 'without-prefix', modelBaseUrl: root });
  });
  afterAll(async () => {
    await shared.unload();
    await standard.unload();
    rmSync(root, { recursive: true, force: true });
  });

  it('is used where the model folder has it, and only there', () => {
    expect(shared.sharesPromptCache).toBe(true);
    expect(standard.sharesPromptCache).toBe(false);
  });

  it('gives the candidates of the standard path, few-shot and zero-shot', async () => {
    for (const prompt of [fewShot, buildPrompt(toyArith, question, [])]) {
      const viaPrefix = await shared.sample(prompt, options);
      const viaStandard = await standard.sample(prompt, options);
      expect(viaPrefix).toEqual(viaStandard);
      // Rows end at different steps (EOS, the stop string, the limit), so the loop dropped
      // finished rows from the generated cache while others went on.
      expect(new Set(viaPrefix.map((c) => c.tokens)).size).toBeGreaterThan(1);
      // A subset of the candidates (a resumed question) is the same candidates again.
      expect(await shared.sample(prompt, { ...options, indices: [12, 2, 7] })).toEqual([
        viaPrefix[2],
        viaPrefix[7],
        viaPrefix[12],
      ]);
    }
  });

  it('decodes several rows greedily like greedy()', async () => {
    const cold = await shared.sample(fewShot, { n: 3, temperature: 0, maxTokens: 24, seed: 0 });
    const greedy = await standard.greedy(fewShot, { maxTokens: 24 });
    expect(cold.map((c) => c.text)).toEqual([greedy.text, greedy.text, greedy.text]);
  });

  it('falls back to the standard path when the prefix graph cannot be read', async () => {
    copyModel(root, 'broken-prefix', new TextEncoder().encode('not an onnx graph'));
    const engine = new TransformersEngine();
    const warn = console.warn;
    console.warn = () => {};
    try {
      await engine.load({ kind: 'transformers', modelId: 'broken-prefix', modelBaseUrl: root });
    } finally {
      console.warn = warn;
    }
    try {
      expect(engine.sharesPromptCache).toBe(false);
      const small = { ...options, n: 4 };
      expect(await engine.sample(fewShot, small)).toEqual(await shared.sample(fewShot, small));
    } finally {
      await engine.unload();
    }
  });
});
