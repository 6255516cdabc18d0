// The optional batched-sampling graph of a model folder, onnx/model_prefix.onnx (written for the
// embedded model by scripts/toy-model/prefix_decoder.py). In the standard layout every row of a
// batched decode step passes its whole KV cache, prompt included, in and out of the session;
// this graph takes the prompt's cache once with batch 1 (`prefix_key.L`, `prefix_value.L`) and
// per row only what was generated after it (`past_key.L`, `past_value.L` in, `present_key.L`,
// `present_value.L` out), so m candidates of one prompt no longer carry m copies of it. It keeps
// its weights as ONNX external data inside onnx/model.onnx, so it adds no weights to the folder.
import {
  AutoModelForCausalLM,
  ModelRegistry,
  Tensor,
  type PreTrainedModel,
} from '@huggingface/transformers';
import type { KvCache } from './kvCache';

export const PREFIX_GRAPH_FILE = 'onnx/model_prefix.onnx';
/** Where the prefix graph's external data points: the standard graph's file, in its folder. */
const SHARED_WEIGHTS = { path: 'model.onnx', data: 'onnx/model.onnx' };
const STANDARD_CACHE_NAME = /^past_key_values\.(\d+)\.(key|value)$/;

interface PrefixGraphOptions {
  /** transformers.js loading options (progress callback, revision). */
  loadOptions: Record<string, unknown>;
  device: 'cpu' | 'wasm';
  sessionOptions: Record<string, unknown>;
  /** onnxruntime-web needs the external data handed over; onnxruntime-node reads the file. */
  inBrowser: boolean;
  /** The loaded standard graph, whose cache inputs the prefix graph must mirror. */
  standard: PreTrainedModel;
}

/**
 * Loads the model folder's prefix graph, or returns null when the folder has none (any model
 * but the embedded one) or it does not fit the standard graph; decoding then keeps to the
 * standard graph, which gives the same results more slowly.
 */
export async function loadPrefixGraph(
  modelId: string,
  options: PrefixGraphOptions,
): Promise<PreTrainedModel | null> {
  const found = await ModelRegistry.get_file_metadata(modelId, PREFIX_GRAPH_FILE, {
    local_files_only: true,
  }).catch(() => null);
  // A development server may answer a missing file with its HTML page.
  if (!found?.exists || found.contentType?.startsWith('text/html')) return null;
  let prefix: PreTrainedModel;
  try {
    prefix = await AutoModelForCausalLM.from_pretrained(modelId, {
      ...options.loadOptions,
      dtype: 'fp32',
      device: options.device,
      model_file_name: 'model_prefix',
      session_options: {
        ...options.sessionOptions,
        ...(options.inBrowser ? { externalData: [SHARED_WEIGHTS] } : {}),
      },
    });
  } catch (error) {
    console.warn(`${modelId}: ${PREFIX_GRAPH_FILE} could not be loaded, so it is not used`, error);
    return null;
  }
  if (!mirrorsStandardCache(sessionInputs(prefix), sessionInputs(options.standard))) {
    console.warn(`${modelId}: ${PREFIX_GRAPH_FILE} does not fit onnx/model.onnx; it is not used`);
    await prefix.dispose();
    return null;
  }
  return prefix;
}

function sessionInputs(model: PreTrainedModel): string[] {
  const sessions = (model as unknown as { sessions: Record<string, { inputNames: string[] }> })
    .sessions;
  return sessions.model?.inputNames ?? [];
}

function mirrorsStandardCache(prefixInputs: string[], standardInputs: string[]): boolean {
  const names = new Set(prefixInputs);
  const layers = standardInputs.map((name) => STANDARD_CACHE_NAME.exec(name)).filter(Boolean);
  return (
    names.has('input_ids') &&
    names.has('position_ids') &&
    layers.length > 0 &&
    layers.every(
      (match) =>
        names.has(`prefix_${match?.[2]}.${match?.[1]}`) &&
        names.has(`past_${match?.[2]}.${match?.[1]}`),
    )
  );
}

/** The prompt's cache from the standard graph (batch 1) as the prefix graph's shared inputs. */
export function sharedPrefix(prompt: KvCache): KvCache {
  const out: KvCache = {};
  for (const [name, tensor] of Object.entries(prompt)) {
    const match = STANDARD_CACHE_NAME.exec(name);
    if (match) out[`prefix_${match[2]}.${match[1]}`] = tensor;
  }
  return out;
}

/** The generated part of `rows` rows before their first step: empty per-row caches. */
export function emptyGenerated(prompt: KvCache, rows: number): KvCache {
  const out: KvCache = {};
  for (const [name, tensor] of Object.entries(prompt)) {
    const match = STANDARD_CACHE_NAME.exec(name);
    if (!match) continue;
    const [, heads, , headDim] = tensor.dims as [number, number, number, number];
    out[`past_${match[2]}.${match[1]}`] = new Tensor('float32', new Float32Array(0), [
      rows,
      heads,
      0,
      headDim,
    ]);
  }
  return out;
}
