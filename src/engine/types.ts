// The one engine contract every backend (transformers.js, web-llm, remote OpenAI-compatible)
// implements. The worker wraps an Engine behind the protocol; the CLI uses an Engine directly.
import type { LossText } from '../core/types';

export type EngineKind = 'transformers' | 'webllm' | 'remote';

/** Which model to load, and how. Never holds data; `apiKey` is never put in a notebook URL. */
export interface ModelSpec {
  kind: EngineKind;
  /** transformers: a folder name under `modelBaseUrl` or a Hub id; webllm: a model record id;
   * remote: the server's model name. */
  modelId: string;
  revision?: string;
  /** transformers: 'webgpu' | 'wasm' in browsers, 'cpu' in Node. webllm: always WebGPU. */
  device?: 'webgpu' | 'wasm' | 'cpu';
  /** transformers: where local models live (URL in browsers, absolute path in Node). */
  modelBaseUrl?: string;
  /** transformers: may files come from the Hugging Face Hub (browsers only). */
  allowRemoteModels?: boolean;
  /** remote: e.g. http://127.0.0.1:8000/v1 */
  baseUrl?: string;
  apiKey?: string;
  /** remote: how the server exposes prompt log-probs. */
  scoring?: 'echo' | 'prompt_logprobs';
  /** transformers on wasm in a browser: single-thread workers that score in parallel, each with
   * a copy of the model (default: one per core, at most 4, for models up to 200 MB; 1: score on
   * the engine's own session). */
  scoreWorkers?: number;
}

export interface LoadProgress {
  phase: 'download' | 'compile' | 'init' | 'ready';
  loadedBytes: number;
  totalBytes: number;
  filesDone: number;
  filesTotal: number;
  text?: string;
}

export interface ModelInfo {
  kind: EngineKind;
  modelId: string;
  /** e.g. 'wasm (4 threads)', 'webgpu', 'cpu', or the remote URL. */
  device: string;
  vocabSize: number;
  contextLength: number;
  bosToken: string;
  eosToken: string;
  bosTokenId: number | null;
  eosTokenId: number | null;
  /** transformers: how many workers score in parallel (1: the engine's own session). */
  scoreWorkers?: number;
}

/**
 * Sampling parameters. Candidate i draws from its own stream seeded with
 * `deriveSeed(seed, i)` (src/core/rng.ts), so results do not depend on batching or on which
 * candidates were already generated (a resumed run reproduces an uninterrupted one).
 */
export interface SampleOptions {
  n: number;
  temperature: number;
  /** Most new tokens per candidate (the caller subtracts the prompt from the 1024 budget). */
  maxTokens: number;
  /** Generation stops when one of these strings appears; it is not included in the text. */
  stop?: string[];
  seed: number;
  /** Candidate indices to generate (default 0..n-1); used to resume a half-done question. */
  indices?: number[];
}

export interface GreedyOptions {
  maxTokens: number;
  stop?: string[];
}

export interface Candidate {
  index: number;
  text: string;
  /** Number of generated tokens. */
  tokens: number;
  finishReason: 'stop' | 'eos' | 'length';
}

export interface SampleProgress {
  candidate: Candidate;
  done: number;
  total: number;
  tokensPerSecond: number;
}

export interface ScoreResult {
  /** Token ids of the (possibly truncated) sequence, BOS included when requested. */
  tokenIds: number[];
  /** log p(token_t | tokens_<t) for t = 1..T-1 (natural log, raw logits, temperature 1). */
  logprobs: number[];
  /** Which of `logprobs` fall in the averaged span. */
  spanMask: boolean[];
  /** Mean negative log-likelihood over the span's tokens (NaN when the span has none). */
  meanNll: number;
  scoredTokens: number;
  truncated: boolean;
}

export interface ScoreProgress {
  done: number;
  total: number;
  tokensPerSecond: number;
  /** Scoring pool workers that have scored batches of this call so far (absent: no pool). */
  scoreWorkers?: number;
}

export interface CallSignal {
  signal?: AbortSignal;
}

export interface Engine {
  readonly kind: EngineKind;
  load(
    spec: ModelSpec,
    options?: CallSignal & { onProgress?: (p: LoadProgress) => void },
  ): Promise<ModelInfo>;
  unload(): Promise<void>;
  tokenize(text: string, options?: { addBos?: boolean }): Promise<number[]>;
  detokenize(ids: number[]): Promise<string>;
  sample(
    prompt: string,
    options: SampleOptions,
    call?: CallSignal & { onCandidate?: (p: SampleProgress) => void },
  ): Promise<Candidate[]>;
  greedy(prompt: string, options: GreedyOptions, call?: CallSignal): Promise<Candidate>;
  score(
    items: LossText[],
    call?: CallSignal & { onProgress?: (p: ScoreProgress) => void },
  ): Promise<ScoreResult[]>;
}
