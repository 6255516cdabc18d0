// Trained models in the browser: a trainer's merged model folder (transformers.js layout) is put
// into transformers.js's own Cache Storage under the path the engine worker reads local models
// from, so the worker loads it like the embedded model, with no download, and it survives a
// reload. The Setup cell's cache list shows (and clears) these files with the others.
import type { ModelSpec } from '../engine/types';
import { embeddedModelBase, type Device } from './state/session.svelte';

/** transformers.js's Cache Storage name (env.cacheKey). */
const CACHE_NAME = 'transformers-cache';
/** The files the engine reads; the merged folder's safetensors copy is for other tools. */
const NEEDED = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'onnx/model.onnx',
];

function fileUrl(folder: string, path: string): string {
  return new URL(`${embeddedModelBase()}${folder}/${path}`, location.origin).href;
}

function mimeOf(path: string): string {
  return path.endsWith('.json') ? 'application/json' : 'application/octet-stream';
}

/** Stores a model folder (path → bytes) in the model cache under `folder`. */
export async function storeTrainedModel(
  folder: string,
  files: ReadonlyMap<string, Uint8Array>,
): Promise<void> {
  if (typeof caches === 'undefined') {
    throw new Error('This browser offers no Cache Storage to keep the trained model in.');
  }
  const missing = ['config.json', 'tokenizer.json', 'onnx/model.onnx'].filter((p) => !files.has(p));
  if (missing.length > 0) {
    throw new Error(`The trained model lacks ${missing.join(', ')}: the browser cannot load it.`);
  }
  const cache = await caches.open(CACHE_NAME);
  for (const path of NEEDED) {
    const bytes = files.get(path);
    if (bytes === undefined) continue;
    await cache.put(
      fileUrl(folder, path),
      new Response(bytes as Uint8Array<ArrayBuffer>, {
        headers: { 'Content-Type': mimeOf(path), 'Content-Length': String(bytes.byteLength) },
      }),
    );
  }
}

/** Whether the model cache still holds a stored model's weights and configuration. */
export async function hasTrainedModel(folder: string): Promise<boolean> {
  if (typeof caches === 'undefined') return false;
  const cache = await caches.open(CACHE_NAME);
  for (const path of ['config.json', 'tokenizer.json', 'onnx/model.onnx']) {
    if (!(await cache.match(fileUrl(folder, path)))) return false;
  }
  return true;
}

/** The engine spec of a stored trained model (local only: never the Hub). */
export function trainedModelSpec(folder: string, device: Device): ModelSpec {
  return {
    kind: 'transformers',
    modelId: folder,
    device,
    modelBaseUrl: embeddedModelBase(),
    allowRemoteModels: false,
  };
}

/** The session key of a stored trained model (distinct from any notebook engine's key). */
export function trainedModelKey(folder: string, device: Device): string {
  return ['trained', folder, device].join('|');
}
