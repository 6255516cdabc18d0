// Browser only: points transformers.js and onnxruntime-web at the app's own files, for the
// engine worker and for the scoring pool's workers alike, so that both load the same files.
import { env } from '@huggingface/transformers';
import { ortWasmPaths } from './ortWasmFiles';

export function configureBrowserRuntime(options: {
  /** Where models are looked up, a root-relative path for this origin (see localPath). */
  localModelPath: string;
  allowRemoteModels: boolean;
  numThreads: number;
}): void {
  env.allowLocalModels = true;
  env.allowRemoteModels = options.allowRemoteModels;
  env.localModelPath = options.localModelPath;
  // Chromium's HTTP cache lets one request at a time write an entry, and transformers.js opens a
  // model file twice (an existence check whose body it never reads, then the load): for a file
  // larger than the network buffers the second request waits until it fails. Bypass that cache.
  env.fetch = (input: string | URL, init?: RequestInit) =>
    fetch(input, { ...init, cache: 'no-store' });
  const wasm = env.backends.onnx.wasm as { wasmPaths?: unknown; numThreads?: number } | undefined;
  if (wasm) {
    // onnxruntime-web would fetch these from a CDN; the app serves its own copies.
    wasm.wasmPaths = ortWasmPaths();
    wasm.numThreads = options.numThreads;
  }
}
