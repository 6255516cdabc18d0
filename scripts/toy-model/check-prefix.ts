// Checks the batched-sampling graph (onnx/model_prefix.onnx) with onnxruntime-node: a prompt is
// prefilled once by onnx/model.onnx, then several rows continue it one token per step through
// the prefix graph (the prompt's cache shared with batch 1, each row's generated part its own).
// Every step's logits are compared with the torch model's (reference cases written by
// export_prefix.py) and with onnx/model.onnx run on the same rows with whole per-row caches.
// Usage: npx tsx scripts/toy-model/check-prefix.ts <model folder> <reference cases json>
// Prints the largest differences as JSON on its last line; exits 1 if one exceeds the limit.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

interface PrefixCase {
  /** Prompt ids, BOS included. */
  prompt: number[];
  /** rows[r][s]: the token row r feeds at step s (all rows equally long). */
  rows: number[][];
  /** logits[r][s]: the torch model's logits after row r's token of step s. */
  logits: number[][][];
}

interface ReferenceFile {
  cases: PrefixCase[];
  maxAbsDiff: number;
}

type Feeds = Record<string, ort.Tensor>;
type Outputs = ort.InferenceSession.OnnxValueMapType;

const [modelDir, casesPath] = process.argv.slice(2);
if (!modelDir || !casesPath) {
  console.error('usage: check-prefix.ts <model folder> <reference cases json>');
  process.exit(2);
}
const config = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')) as {
  num_hidden_layers: number;
  num_key_value_heads: number;
  head_dim: number;
  vocab_size: number;
};
const { cases, maxAbsDiff } = JSON.parse(readFileSync(casesPath, 'utf8')) as ReferenceFile;
const standard = await ort.InferenceSession.create(join(modelDir, 'onnx', 'model.onnx'));
const prefixGraph = await ort.InferenceSession.create(join(modelDir, 'onnx', 'model_prefix.onnx'));
const layers = Array.from({ length: config.num_hidden_layers }, (_, i) => i);
const vocab = config.vocab_size;

const int64 = (rows: number[][]): ort.Tensor =>
  new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [
    rows.length,
    rows[0]!.length,
  ]);

function emptyCache(batch: number, names: string[]): Feeds {
  const shape = [batch, config.num_key_value_heads, 0, config.head_dim];
  return Object.fromEntries(
    names.map((name) => [name, new ort.Tensor('float32', new Float32Array(0), shape)]),
  );
}

const standardPast = layers.flatMap((i) => [
  `past_key_values.${i}.key`,
  `past_key_values.${i}.value`,
]);
const generatedPast = layers.flatMap((i) => [`past_key.${i}`, `past_value.${i}`]);

/** Each tensor of a batch-1 cache repeated `rows` times along the batch dimension. */
function repeatRows(tensor: ort.Tensor, rows: number): ort.Tensor {
  const data = tensor.data as Float32Array;
  const out = new Float32Array(data.length * rows);
  for (let r = 0; r < rows; r++) out.set(data, r * data.length);
  return new ort.Tensor('float32', out, [rows, ...tensor.dims.slice(1)]);
}

let vsTorch = 0;
let vsStandard = 0;
function maxDiff(logits: ort.Tensor, row: number, expected: ArrayLike<number>): number {
  const data = logits.data as Float32Array;
  let worst = 0;
  for (let v = 0; v < vocab; v++) {
    const diff = Math.abs(data[row * vocab + v]! - expected[v]!);
    worst = Number.isNaN(diff) ? Infinity : Math.max(worst, diff);
  }
  return worst;
}

for (const { prompt, rows, logits } of cases) {
  const n = rows.length;
  const p = prompt.length;
  const prefill = await standard.run({
    input_ids: int64([prompt]),
    attention_mask: int64([prompt.map(() => 1)]),
    position_ids: int64([prompt.map((_, t) => t)]),
    ...emptyCache(1, standardPast),
  });
  const prefix: Feeds = Object.fromEntries(
    layers.flatMap((i) => [
      [`prefix_key.${i}`, prefill[`present.${i}.key`]!],
      [`prefix_value.${i}`, prefill[`present.${i}.value`]!],
    ]),
  );
  let generated: Feeds = emptyCache(n, generatedPast);
  let whole: Feeds = Object.fromEntries(
    standardPast.map((name) => [
      name,
      repeatRows(prefill[name.replace('past_key_values', 'present')]!, n),
    ]),
  );
  const steps = rows[0]!.length;
  for (let s = 0; s < steps; s++) {
    const ids = rows.map((row) => [row[s]!]);
    const positions = rows.map(() => [p + s]);
    const out: Outputs = await prefixGraph.run({
      input_ids: int64(ids),
      position_ids: int64(positions),
      ...prefix,
      ...generated,
    });
    const reference: Outputs = await standard.run({
      input_ids: int64(ids),
      attention_mask: int64(rows.map(() => Array<number>(p + s + 1).fill(1))),
      position_ids: int64(positions),
      ...whole,
    });
    for (let r = 0; r < n; r++) {
      vsTorch = Math.max(vsTorch, maxDiff(out.logits!, r, logits[r]![s]!));
      const standardRow = (reference.logits!.data as Float32Array).subarray(
        r * vocab,
        (r + 1) * vocab,
      );
      vsStandard = Math.max(vsStandard, maxDiff(out.logits!, r, standardRow));
    }
    generated = Object.fromEntries(
      generatedPast.map((name) => [name, out[name.replace('past_', 'present_')]!]),
    );
    whole = Object.fromEntries(
      standardPast.map((name) => [name, reference[name.replace('past_key_values', 'present')]!]),
    );
  }
}

console.log(
  `prefix graph: max abs logit diff vs torch ${vsTorch.toExponential(3)}, vs model.onnx ${vsStandard.toExponential(3)} (limit ${maxAbsDiff})`,
);
console.log(JSON.stringify({ prefixVsTorch: vsTorch, prefixVsOnnx: vsStandard }));
if (!(vsTorch <= maxAbsDiff && vsStandard <= maxAbsDiff)) {
  console.error('The prefix graph differs from the reference by more than the limit');
  process.exit(1);
}
