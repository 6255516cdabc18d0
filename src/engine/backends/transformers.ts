// The transformers.js backend: ONNX models through onnxruntime (onnxruntime-web with WebGPU or
// threaded wasm in the browser worker, onnxruntime-node on the CPU in Node), with the same code
// in both. transformers.js loads the tokenizer and the session; sampling, greedy decoding and
// scoring are hand-written loops over the model's forward pass, so that every candidate has its
// own seeded random stream, stop strings end single rows of a batch, finished candidates stream
// out, and a cancel lands between two steps. A model folder that also holds the batched-sampling
// graph (onnx/model_prefix.onnx, see prefixGraph.ts) decodes several rows of one prompt with the
// prompt's cache shared instead of copied per row. In the browser on wasm, scoring runs on a pool
// of single-thread workers (scorePool.ts) when the machine has several cores.
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  env,
  Tensor,
  type PreTrainedModel,
  type PreTrainedTokenizer,
} from '@huggingface/transformers';
import { createRng, deriveSeed, type Rng } from '../../core/rng';
import type { LossText } from '../../core/types';
import { EngineError } from '../protocol';
import type {
  CallSignal,
  Candidate,
  Engine,
  GreedyOptions,
  LoadProgress,
  ModelInfo,
  ModelSpec,
  SampleOptions,
  SampleProgress,
  ScoreProgress,
  ScoreResult,
} from '../types';
import { disposeCache, keepRows, repeatRows, type KvCache } from './kvCache';
import { Exclusive } from './logitsOnly';
import { emptyGenerated, loadPrefixGraph, sharedPrefix } from './prefixGraph';
import { argmax, findStop, sampleToken } from './sampling';
import {
  lengthOf,
  planScoreBatches,
  scoreBatch,
  SCORE_MAX_BATCH,
  type PreparedScore,
} from './scoreBatch';
import {
  poolBatchSize,
  poolSize,
  ScorePool,
  type PoolLoadRequest,
  type PoolWorker,
} from './scorePool';
import { TokenOffsets } from './tokenOffsets';

interface LoadedModel {
  spec: ModelSpec;
  tokenizer: PreTrainedTokenizer;
  model: PreTrainedModel;
  /** The batched-sampling graph, when the model folder has one (CPU and wasm only). */
  prefix: PreTrainedModel | null;
  info: ModelInfo;
  bosId: number | null;
  eosIds: Set<number>;
  padId: number;
  offsets: TokenOffsets;
  /** How a scoring pool would be started for this model (browser, wasm, several cores). */
  poolPlan: { size: number; request: PoolLoadRequest; spawn: () => PoolWorker } | null;
  /** Started by the first scoring call that can use it; kept, dropped, once a worker fails. */
  pool: ScorePool | null;
}

/** One sequence being decoded: a candidate index, its random stream and what it produced. */
interface Row {
  index: number;
  rng: Rng | null;
  generated: number[];
  finish: Candidate['finishReason'] | null;
  text: string;
}

/** Prompt tokens decoded in front of a continuation so that its first space is kept. */
const PROMPT_TAIL_TOKENS = 4;
/**
 * Idle onnxruntime threads sleep instead of spinning: decode steps of small models are short,
 * and spinning threads that compete for cores with the rest of the machine slow every step
 * down many times over (measured: 45 ms instead of 2 ms per step on a busy 2-core machine).
 */
const SESSION_OPTIONS = { extra: { session: { intra_op: { allow_spinning: '0' } } } };
/** The longest a decode loop runs without letting a cancel message in. */
const YIELD_EVERY_MS = 15;

const inBrowser =
  typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined' ||
  typeof (globalThis as { window?: unknown }).window !== 'undefined';

export class TransformersEngine implements Engine {
  readonly kind = 'transformers' as const;
  private loaded: LoadedModel | null = null;
  private lastYield = 0;
  private readonly exclusive = new Exclusive();

  async load(
    spec: ModelSpec,
    options: CallSignal & { onProgress?: (p: LoadProgress) => void } = {},
  ): Promise<ModelInfo> {
    if (spec.kind !== 'transformers') {
      throw new EngineError(
        'bad-request',
        `The transformers.js backend cannot load a "${spec.kind}" model.`,
      );
    }
    if (!spec.modelId) throw new EngineError('bad-request', 'ModelSpec.modelId is empty.');
    await this.unload();
    const device = await configureRuntime(spec);
    const progress = new LoadTracker(options.onProgress);
    const where = (file: string | null): string =>
      joinPath(env.localModelPath ?? '', spec.modelId, file ?? '');
    const loadOptions = {
      progress_callback: (info: unknown) => progress.update(info),
      ...(spec.revision ? { revision: spec.revision } : {}),
    };
    let tokenizer: PreTrainedTokenizer;
    let model: PreTrainedModel;
    let prefix: PreTrainedModel | null = null;
    try {
      tokenizer = await AutoTokenizer.from_pretrained(spec.modelId, loadOptions);
      throwIfAborted(options.signal);
      model = await AutoModelForCausalLM.from_pretrained(spec.modelId, {
        ...loadOptions,
        dtype: 'fp32',
        device: device.name,
        session_options: SESSION_OPTIONS,
      });
      // On WebGPU the caches stay on the GPU, where copying them per row costs little.
      if (device.name !== 'webgpu') {
        throwIfAborted(options.signal);
        prefix = await loadPrefixGraph(spec.modelId, {
          loadOptions,
          device: device.name,
          sessionOptions: SESSION_OPTIONS,
          inBrowser,
          standard: model,
        });
      }
    } catch (error) {
      if (error instanceof EngineError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      if (isOutOfMemory(message)) {
        throw new EngineError(
          'out-of-memory',
          `Loading ${spec.modelId} ran out of memory: ${message}`,
        );
      }
      throw new EngineError(
        'load-failed',
        progress.currentFile === null
          ? `Could not load ${where(null)}: no model files were found there (${message})`
          : `Could not load ${where(progress.currentFile)}: ${message}`,
        spec.allowRemoteModels
          ? 'Check the model id and your connection.'
          : 'Check that the model folder holds config.json, tokenizer.json and onnx/model.onnx.',
      );
    }
    if (options.signal?.aborted) {
      await model.dispose();
      await prefix?.dispose();
      throwIfAborted(options.signal);
    }
    const config = model.config as unknown as Record<string, unknown>;
    const bosId = numberOrNull(tokenizer.bos_token_id) ?? numberOrNull(config.bos_token_id);
    const eosIds = new Set<number>(
      [tokenizer.eos_token_id, config.eos_token_id, model.generation_config?.eos_token_id]
        .flat()
        .filter((id): id is number => typeof id === 'number'),
    );
    const eosId = numberOrNull(tokenizer.eos_token_id) ?? [...eosIds][0] ?? null;
    const poolPlan =
      device.name === 'wasm'
        ? await planPool(
            spec,
            progress.bytesOf((file) => /\.onnx(_data)?$/.test(file)),
          )
        : null;
    const contextLength =
      numberOrNull(config.max_position_embeddings) ??
      numberOrNull((tokenizer as unknown as { model_max_length?: unknown }).model_max_length) ??
      2048;
    const decodeRaw = (ids: number[]): string =>
      ids.length === 0 ? '' : tokenizer.decode(ids, { skip_special_tokens: false });
    const plainIds = tokenizer.encode('a', { add_special_tokens: false });
    const info: ModelInfo = {
      kind: 'transformers',
      modelId: spec.modelId,
      device: device.label,
      vocabSize: numberOrNull(config.vocab_size) ?? 0,
      contextLength,
      bosToken: tokenizer.bos_token ?? '',
      eosToken: tokenizer.eos_token ?? '',
      bosTokenId: bosId,
      eosTokenId: eosId,
      ...(inBrowser ? { scoreWorkers: poolPlan?.size ?? 1 } : {}),
    };
    this.loaded = {
      spec,
      tokenizer,
      model,
      prefix,
      info,
      bosId,
      eosIds,
      padId: numberOrNull(tokenizer.pad_token_id) ?? eosId ?? 0,
      offsets: new TokenOffsets(decodeRaw, plainIds.at(-1) ?? null),
      poolPlan,
      pool: null,
    };
    progress.finish();
    return info;
  }

  async unload(): Promise<void> {
    const loaded = this.loaded;
    this.loaded = null;
    if (loaded) {
      loaded.pool?.dispose();
      await loaded.model.dispose();
      await loaded.prefix?.dispose();
    }
  }

  /** Whether batched sampling runs on the model's prefix graph (shared prompt cache). */
  get sharesPromptCache(): boolean {
    return this.loaded?.prefix != null;
  }

  async tokenize(text: string, options: { addBos?: boolean } = {}): Promise<number[]> {
    return this.encode(this.require(), text, options.addBos ?? false);
  }

  async detokenize(ids: number[]): Promise<string> {
    const { tokenizer } = this.require();
    if (!Array.isArray(ids) || ids.some((id) => !Number.isInteger(id) || id < 0)) {
      throw new EngineError(
        'bad-request',
        'detokenize needs an array of non-negative integer ids.',
      );
    }
    return ids.length === 0 ? '' : tokenizer.decode(ids, { skip_special_tokens: false });
  }

  async sample(
    prompt: string,
    options: SampleOptions,
    call: CallSignal & { onCandidate?: (p: SampleProgress) => void } = {},
  ): Promise<Candidate[]> {
    const loaded = this.require();
    const { n, temperature, maxTokens, seed } = options;
    if (!Number.isInteger(n) || n < 1) throw badRequest(`n must be a positive integer, got ${n}`);
    if (!(temperature >= 0)) throw badRequest(`temperature must be ≥ 0, got ${temperature}`);
    if (!Number.isFinite(seed)) throw badRequest(`seed must be a finite number, got ${seed}`);
    checkMaxTokens(maxTokens);
    const indices = options.indices ?? Array.from({ length: n }, (_, i) => i);
    if (
      new Set(indices).size !== indices.length ||
      indices.some((i) => !Number.isInteger(i) || i < 0 || i >= n)
    ) {
      throw badRequest(`indices must be distinct integers in [0, ${n}), got ${String(indices)}`);
    }
    const rows = indices.map((index) => newRow(index, createRng(deriveSeed(seed, index))));
    return this.decodeLoop(loaded, prompt, rows, temperature, maxTokens, options.stop ?? [], call);
  }

  async greedy(prompt: string, options: GreedyOptions, call: CallSignal = {}): Promise<Candidate> {
    const loaded = this.require();
    checkMaxTokens(options.maxTokens);
    const [candidate] = await this.decodeLoop(
      loaded,
      prompt,
      [newRow(0, null)],
      0,
      options.maxTokens,
      options.stop ?? [],
      call,
    );
    return candidate as Candidate;
  }

  async score(
    items: LossText[],
    call: CallSignal & { onProgress?: (p: ScoreProgress) => void } = {},
  ): Promise<ScoreResult[]> {
    const loaded = this.require();
    if (!Array.isArray(items)) throw badRequest('score needs an array of loss texts.');
    const prepared = items.map((item, i) => this.prepareScore(loaded, item, i));
    const results = new Array<ScoreResult>(items.length);
    const vocab = loaded.info.vocabSize;
    let batches = planScoreBatches(prepared, vocab);
    let pool: ScorePool | null = null;
    if (loaded.poolPlan && (loaded.pool?.alive ?? true)) {
      // Smaller batches than on one session, so that the workers finish close together.
      const size = poolBatchSize(prepared.length, loaded.poolPlan.size, SCORE_MAX_BATCH);
      const poolBatches = planScoreBatches(prepared, vocab, size);
      if (poolBatches.length >= 2) {
        pool = loaded.pool ??= startPool(loaded);
        if (pool) batches = poolBatches;
      }
    }
    const started = now();
    let done = 0;
    let tokens = 0;
    const finishBatch = (batch: number[], scored: ScoreResult[], poolWorkers?: number): void => {
      batch.forEach((itemIndex, b) => (results[itemIndex] = scored[b] as ScoreResult));
      done += batch.length;
      tokens += batch.reduce((sum, i) => sum + lengthOf(prepared[i]), 0);
      call.onProgress?.({
        done,
        total: items.length,
        tokensPerSecond: perSecond(tokens, started),
        ...(poolWorkers === undefined ? {} : { scoreWorkers: poolWorkers }),
      });
    };
    const onSession = async (batch: readonly PreparedScore[]): Promise<ScoreResult[]> => {
      const scored = await scoreBatch(loaded.model, batch, loaded.padId, (job) =>
        this.session(job),
      );
      await this.maybeYield();
      return scored;
    };
    const inputs = batches.map((batch) => batch.map((i) => prepared[i] as PreparedScore));
    if (pool) {
      await pool.run(
        inputs,
        loaded.padId,
        onSession,
        (b, scored, poolWorkers) => finishBatch(batches[b] as number[], scored, poolWorkers),
        call.signal,
      );
    } else {
      for (const [b, batch] of batches.entries()) {
        throwIfAborted(call.signal);
        finishBatch(batch, await onSession(inputs[b] as PreparedScore[]));
      }
    }
    throwIfAborted(call.signal);
    return results;
  }

  // ---- internals -------------------------------------------------------------------------

  private require(): LoadedModel {
    if (!this.loaded) {
      throw new EngineError('bad-request', 'No model is loaded.', 'Load a model first.');
    }
    return this.loaded;
  }

  private encode(loaded: LoadedModel, text: string, addBos: boolean): number[] {
    if (typeof text !== 'string') throw badRequest('text must be a string.');
    const ids =
      text.length === 0 ? [] : loaded.tokenizer.encode(text, { add_special_tokens: false });
    return addBos && loaded.bosId !== null ? [loaded.bosId, ...ids] : ids;
  }

  /** Decodes `generated`, keeping the spaces the prompt's last tokens imply. */
  private continuationText(loaded: LoadedModel, tail: number[], generated: number[]): string {
    if (generated.length === 0) return '';
    const { tokenizer } = loaded;
    const decode = (ids: number[]): string =>
      ids.length === 0 ? '' : tokenizer.decode(ids, { skip_special_tokens: true });
    const before = decode(tail);
    const all = decode([...tail, ...generated]);
    return all.startsWith(before) ? all.slice(before.length) : decode(generated);
  }

  private async decodeLoop(
    loaded: LoadedModel,
    prompt: string,
    rows: Row[],
    temperature: number,
    maxTokens: number,
    stops: string[],
    call: CallSignal & { onCandidate?: (p: SampleProgress) => void },
  ): Promise<Candidate[]> {
    if (typeof prompt !== 'string') throw badRequest('prompt must be a string.');
    const stopList = stops.filter((s) => typeof s === 'string' && s.length > 0);
    const promptIds = this.encode(loaded, prompt, true);
    if (promptIds.length === 0)
      throw badRequest('The prompt is empty and the model has no BOS token.');
    const room = loaded.info.contextLength - promptIds.length;
    if (room <= 0) {
      throw badRequest(
        `The prompt has ${promptIds.length} tokens; the model's context holds ${loaded.info.contextLength}.`,
      );
    }
    const limit = Math.min(maxTokens, room);
    const tail = promptIds.slice(-PROMPT_TAIL_TOKENS).filter((id) => id !== loaded.bosId);
    // Enough tokens to hold any stop string, even spelled in single bytes.
    const stopWindow = 4 * Math.max(0, ...stopList.map((s) => s.length)) + 8;
    const finished: Candidate[] = [];
    const total = rows.length;
    const started = now();
    let generatedTokens = 0;

    const finish = (row: Row, reason: Candidate['finishReason']): void => {
      row.finish = reason;
      let text = this.continuationText(
        loaded,
        tail,
        reason === 'eos' ? row.generated.slice(0, -1) : row.generated,
      );
      const stopAt = findStop(text, stopList);
      if (stopAt >= 0) {
        text = text.slice(0, stopAt);
        row.finish = 'stop';
      }
      row.text = text;
      const candidate: Candidate = {
        index: row.index,
        text,
        tokens: row.generated.length,
        finishReason: row.finish,
      };
      finished.push(candidate);
      call.onCandidate?.({
        candidate,
        done: finished.length,
        total,
        tokensPerSecond: perSecond(generatedTokens, started),
      });
    };

    /** Picks each live row's next token from its logits row, and retires rows that are done. */
    const step = (logits: Tensor, live: Row[], rowOf: (b: number) => number): void => {
      const [, length, vocab] = logits.dims as [number, number, number];
      const data = logits.data as Float32Array;
      const scratch = new Float64Array(vocab);
      live.forEach((row, b) => {
        if (row.finish) return;
        const offset = (rowOf(b) * length + (length - 1)) * vocab;
        const token =
          row.rng === null
            ? argmax(data, offset, vocab)
            : sampleToken(data, offset, vocab, temperature, row.rng.next(), scratch);
        row.generated.push(token);
        generatedTokens++;
        if (loaded.eosIds.has(token)) return finish(row, 'eos');
        if (stopList.length > 0) {
          const window = row.generated.slice(-stopWindow);
          const recent = this.continuationText(
            loaded,
            window.length === row.generated.length ? tail : [],
            window,
          );
          if (findStop(recent, stopList) >= 0) return finish(row, 'stop');
        }
        if (row.generated.length >= limit) finish(row, 'length');
      });
    };

    if (limit <= 0) {
      for (const row of rows) finish(row, 'length');
      return sortByIndex(finished);
    }

    // Prefill the prompt once. Then several rows either share its cache through the prefix graph
    // (each row carrying only its generated tokens' cache) or each get their own copy of it.
    throwIfAborted(call.signal);
    const prefill = await this.forward(loaded, [promptIds], 0, null);
    step(prefill.logits, rows, () => 0);
    let live = rows.filter((row) => !row.finish);
    const prefixModel = live.length > 1 ? loaded.prefix : null;
    const prefix = prefixModel ? sharedPrefix(prefill.cache) : null;
    let cache: KvCache = {};
    if (live.length > 0) {
      cache = prefix
        ? emptyGenerated(prefill.cache, live.length)
        : await repeatRows(prefill.cache, live.length);
    }
    if (!prefix) disposeCache(prefill.cache);
    let past = promptIds.length;
    try {
      while (live.length > 0) {
        await this.maybeYield();
        throwIfAborted(call.signal);
        const inputs = live.map((row) => [row.generated.at(-1) as number]);
        const out =
          prefixModel && prefix
            ? await this.forwardShared(prefixModel, inputs, past, prefix, cache)
            : await this.forward(loaded, inputs, past, cache);
        disposeCache(cache);
        cache = out.cache;
        past++;
        step(out.logits, live, (b) => b);
        const still = live.map((row, b) => (row.finish ? -1 : b)).filter((b) => b >= 0);
        if (still.length < live.length && still.length > 0)
          cache = await keepRows(cache, still, live.length);
        live = still.map((b) => live[b] as Row);
      }
    } finally {
      disposeCache(cache);
      if (prefix) disposeCache(prefill.cache);
    }
    throwIfAborted(call.signal);
    return sortByIndex(finished);
  }

  /** One step of the prefix graph: one new token per row after the shared prompt cache. */
  private async forwardShared(
    prefixModel: PreTrainedModel,
    ids: number[][],
    past: number,
    prefix: KvCache,
    generated: KvCache,
  ): Promise<{ logits: Tensor; cache: KvCache }> {
    const inputIds = BigInt64Array.from(ids, (row) => BigInt(row[0] as number));
    const positions = new BigInt64Array(ids.length).fill(BigInt(past));
    return this.run(prefixModel, {
      input_ids: new Tensor('int64', inputIds, [ids.length, 1]),
      position_ids: new Tensor('int64', positions, [ids.length, 1]),
      ...prefix,
      ...generated,
    });
  }

  /** One forward pass of equal-length rows after `past` cached tokens. */
  private async forward(
    loaded: LoadedModel,
    ids: number[][],
    past: number,
    cache: KvCache | null,
  ): Promise<{ logits: Tensor; cache: KvCache }> {
    const batch = ids.length;
    const length = ids[0]?.length ?? 0;
    const inputIds = new BigInt64Array(batch * length);
    const positions = new BigInt64Array(batch * length);
    ids.forEach((row, b) =>
      row.forEach((id, t) => {
        inputIds[b * length + t] = BigInt(id);
        positions[b * length + t] = BigInt(past + t);
      }),
    );
    const mask = new BigInt64Array(batch * (past + length)).fill(1n);
    return this.run(loaded.model, {
      input_ids: new Tensor('int64', inputIds, [batch, length]),
      attention_mask: new Tensor('int64', mask, [batch, past + length]),
      position_ids: new Tensor('int64', positions, [batch, length]),
      ...(cache ? { past_key_values: cache } : {}),
    });
  }

  private async run(
    model: PreTrainedModel,
    inputs: Record<string, unknown>,
  ): Promise<{ logits: Tensor; cache: KvCache }> {
    const outputs = (await this.session(() => model.forward(inputs))) as Record<string, Tensor>;
    const logits = outputs.logits;
    if (!logits) throw new EngineError('internal', 'The model returned no logits.');
    const cache: KvCache = {};
    for (const [name, tensor] of Object.entries(outputs)) {
      if (name.startsWith('present.')) cache['past_key_values.' + name.slice(8)] = tensor;
      else if (name.startsWith('present_')) cache['past_' + name.slice(8)] = tensor;
    }
    return { logits, cache };
  }

  /** One session run at a time (both graphs, all calls), onnxruntime's errors as EngineErrors. */
  private async session<T>(job: () => Promise<T>): Promise<T> {
    try {
      return await this.exclusive.run(job);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (isOutOfMemory(message)) {
        throw new EngineError(
          'out-of-memory',
          `The model ran out of memory: ${message}`,
          'Lower the number of candidates or the token limit, or choose a smaller model.',
        );
      }
      throw new EngineError('internal', `The model's forward pass failed: ${message}`);
    }
  }

  private prepareScore(loaded: LoadedModel, item: LossText, position: number): PreparedScore {
    if (
      typeof item !== 'object' ||
      item === null ||
      typeof item.text !== 'string' ||
      !Array.isArray(item.span) ||
      !Number.isInteger(item.maxTokens) ||
      item.maxTokens < 1
    ) {
      throw badRequest(`Score item ${position} is not a valid loss text.`);
    }
    const textIds = this.encode(loaded, item.text, false);
    const withBos = item.addBos && loaded.bosId !== null;
    const all = withBos ? [loaded.bosId as number, ...textIds] : textIds;
    const ids = all.slice(0, Math.min(item.maxTokens, loaded.info.contextLength));
    const keptText = withBos ? ids.slice(1) : ids;
    return {
      item,
      ids,
      truncated: ids.length < all.length,
      textStarts: loaded.offsets.starts(keptText, item.text),
      withBos,
    };
  }

  /** Lets queued messages (a cancel) in at most every YIELD_EVERY_MS, without timer clamping. */
  private async maybeYield(): Promise<void> {
    if (now() - this.lastYield < YIELD_EVERY_MS) return;
    await macrotask();
    this.lastYield = now();
  }
}

/** Picks the device and points onnxruntime at local files; returns what ModelInfo reports. */
async function configureRuntime(
  spec: ModelSpec,
): Promise<{ name: 'cpu' | 'wasm' | 'webgpu'; label: string }> {
  env.allowLocalModels = true;
  env.allowRemoteModels = spec.allowRemoteModels ?? false;
  if (!inBrowser) {
    if (!spec.modelBaseUrl && !spec.allowRemoteModels) {
      throw badRequest(
        'In Node, ModelSpec.modelBaseUrl must name the folder that holds the model.',
      );
    }
    if (spec.device && spec.device !== 'cpu') {
      throw new EngineError(
        'unsupported',
        `In Node the transformers.js backend runs on the CPU, not "${spec.device}".`,
      );
    }
    env.localModelPath = spec.modelBaseUrl ?? '';
    return { name: 'cpu', label: 'cpu' };
  }
  const { appPath, localPath } = await import('./ortWasmFiles');
  const { configureBrowserRuntime } = await import('./browserRuntime');
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  configureBrowserRuntime({
    localModelPath: spec.modelBaseUrl ? localPath(spec.modelBaseUrl) : appPath('models/'),
    allowRemoteModels: spec.allowRemoteModels ?? false,
    numThreads: globalThis.crossOriginIsolated ? Math.max(1, Math.min(4, cores)) : 1,
  });
  const wanted = spec.device ?? ((await hasWebGpu()) ? 'webgpu' : 'wasm');
  if (wanted === 'cpu') {
    throw new EngineError(
      'unsupported',
      'In the browser the transformers.js backend runs on "webgpu" or "wasm".',
    );
  }
  if (wanted === 'webgpu') {
    if (!(await hasWebGpu())) {
      throw new EngineError(
        'unsupported',
        'WebGPU is not available here.',
        'Choose the wasm device.',
      );
    }
    return { name: 'webgpu', label: 'webgpu' };
  }
  const wasm = env.backends.onnx.wasm as { numThreads?: number } | undefined;
  const threads = wasm?.numThreads ?? 1;
  return { name: 'wasm', label: `wasm (${threads} thread${threads === 1 ? '' : 's'})` };
}

/**
 * The scoring pool a model loaded on wasm in the browser gets (null: scoring stays on the
 * engine's session): its size, and the same files and options the engine loaded it with.
 */
async function planPool(spec: ModelSpec, modelBytes: number): Promise<LoadedModel['poolPlan']> {
  const size = poolSize({
    requested: spec.scoreWorkers,
    cores: globalThis.navigator?.hardwareConcurrency ?? 1,
    isolated: globalThis.crossOriginIsolated === true,
    modelBytes,
  });
  if (size < 2) return null;
  const { spawnScoreWorker } = await import('./scorePoolBrowser');
  const request: PoolLoadRequest = {
    modelId: spec.modelId,
    localModelPath: env.localModelPath ?? '',
    allowRemoteModels: spec.allowRemoteModels ?? false,
    sessionOptions: SESSION_OPTIONS,
    ...(spec.revision ? { revision: spec.revision } : {}),
  };
  return { size, request, spawn: spawnScoreWorker };
}

/** Starts the model's scoring pool; null (and no pool for this model) where workers cannot start. */
function startPool(loaded: LoadedModel): ScorePool | null {
  const plan = loaded.poolPlan;
  if (!plan) return null;
  try {
    return new ScorePool(plan.size, plan.spawn, plan.request);
  } catch (error) {
    // E.g. a browser whose workers cannot start workers.
    console.warn(`Scoring stays on the engine's own session: ${String(error)}`);
    loaded.poolPlan = null;
    return null;
  }
}

async function hasWebGpu(): Promise<boolean> {
  const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } })
    .navigator?.gpu;
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) !== null;
  } catch {
    return false;
  }
}

/** Turns transformers.js's per-file progress events into LoadProgress updates. */
class LoadTracker {
  private readonly files = new Map<string, { loaded: number; total: number; done: boolean }>();
  private readonly onProgress: ((p: LoadProgress) => void) | undefined;
  currentFile: string | null = null;

  constructor(onProgress: ((p: LoadProgress) => void) | undefined) {
    this.onProgress = onProgress;
  }

  update(raw: unknown): void {
    const info = raw as { status?: string; file?: string; loaded?: number; total?: number };
    const file = typeof info.file === 'string' ? info.file : null;
    if (!file) return;
    const entry = this.files.get(file) ?? { loaded: 0, total: 0, done: false };
    this.files.set(file, entry);
    if (info.status === 'initiate' || info.status === 'download') this.currentFile = file;
    if (info.status === 'progress') {
      entry.loaded = info.loaded ?? entry.loaded;
      entry.total = info.total ?? entry.total;
    }
    if (info.status === 'done') {
      entry.done = true;
      entry.loaded = Math.max(entry.loaded, entry.total);
    }
    // Once the weights are in, transformers.js builds the inference session.
    this.emit(info.status === 'done' && file.endsWith('.onnx') ? 'init' : 'download');
  }

  finish(): void {
    this.emit('ready');
  }

  /**
   * Total size of the files whose name passes `test`: their reported sizes, or the bytes that
   * arrived where a server sent no length (0 when neither was reported).
   */
  bytesOf(test: (file: string) => boolean): number {
    let bytes = 0;
    for (const [file, entry] of this.files) {
      if (test(file)) bytes += Math.max(entry.total, entry.loaded);
    }
    return bytes;
  }

  private emit(phase: LoadProgress['phase']): void {
    const all = [...this.files.values()];
    this.onProgress?.({
      phase,
      loadedBytes: all.reduce((sum, f) => sum + f.loaded, 0),
      totalBytes: all.reduce((sum, f) => sum + f.total, 0),
      filesDone: all.filter((f) => f.done).length,
      filesTotal: all.length,
      ...(phase === 'init' ? { text: 'Creating the inference session' } : {}),
    });
  }
}

function newRow(index: number, rng: Rng | null): Row {
  return { index, rng, generated: [], finish: null, text: '' };
}

function sortByIndex(candidates: Candidate[]): Candidate[] {
  return candidates.sort((a, b) => a.index - b.index);
}

function joinPath(...parts: string[]): string {
  return parts
    .filter((p) => p.length > 0)
    .map((p, i) => (i === 0 ? p.replace(/\/+$/, '') : p.replace(/^\/+|\/+$/g, '')))
    .join('/');
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function checkMaxTokens(maxTokens: number): void {
  if (!Number.isInteger(maxTokens) || maxTokens < 0) {
    throw badRequest(`maxTokens must be a non-negative integer, got ${maxTokens}`);
  }
}

function badRequest(message: string): EngineError {
  return new EngineError('bad-request', message);
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new EngineError('cancelled', 'The request was cancelled.');
}

function isOutOfMemory(message: string): boolean {
  return /out of memory|memory allocation|allocation failed|bad_alloc|OOM/i.test(message);
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

function perSecond(count: number, since: number): number {
  const seconds = (now() - since) / 1000;
  return seconds > 0 ? count / seconds : 0;
}

/** A macrotask without setTimeout's clamping (MessageChannel exists in browsers and Node). */
function macrotask(): Promise<void> {
  if (typeof MessageChannel === 'undefined')
    return new Promise((resolve) => setTimeout(resolve, 0));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
