// The models the Setup cell offers, with what each needs before anything is downloaded. Memory
// figures: web-llm's own model records (vram_required_MB, web-llm 0.2.86); transformers.js
// models are fp32 ONNX, so about 4 bytes per parameter plus the activations of a short batch.
// The web-llm ids are those of src/engine/backends/webllmModels.ts (a test keeps them in step);
// that module is not imported here because it pulls in the whole web-llm library.
import type { EngineKind } from '../core/notebook';

export interface ModelChoice {
  engine: EngineKind;
  /** The id the engine loads (notebook: recipe.engine.modelId). */
  modelId: string;
  label: string;
  /** GPU (web-llm) or main memory (transformers.js) the model needs, in bytes. */
  memoryBytes: number;
  /** Bytes downloaded on first use (0: shipped with the app). */
  downloadBytes: number;
  /** Tokens of context the build supports. */
  contextLength: number;
  note: string;
  /** Needs the WebGPU feature shader-f16 (q4f16 web-llm builds). */
  needsF16?: boolean;
}

const MB = 1024 * 1024;

export const EMBEDDED_MODEL_ID = 'toy-arith';

/** The second embedded model: trained with a misconception that majority voting corrects. */
export const MISCONCEPTION_MODEL_ID = 'toy-arith-misconception';

export const MODEL_CHOICES: readonly ModelChoice[] = [
  {
    engine: 'transformers',
    modelId: EMBEDDED_MODEL_ID,
    label: 'toy-arith (embedded, about 2 M parameters)',
    memoryBytes: 16 * MB,
    downloadBytes: 0,
    contextLength: 1024,
    note: 'Ships with the playground: trained on the toy arithmetic task, runs offline in seconds. Use it to learn the method and for the guided tour.',
  },
  {
    engine: 'transformers',
    modelId: MISCONCEPTION_MODEL_ID,
    label: 'toy-arith with a misconception (embedded, about 2 M parameters)',
    memoryBytes: 16 * MB,
    downloadBytes: 0,
    contextLength: 1024,
    note: 'Ships with the playground: the same task, but trained on rationales where 30% of taking-away steps add. Greedy decoding adds (27% right); most samples subtract (maj@15 76%). Fine-tuning on its own voted answers with the clean loss text removes the habit (27% → over 90% on the toy loop): self-improvement that works.',
  },
  {
    engine: 'transformers',
    modelId: 'HuggingFaceTB/SmolLM2-135M',
    label: 'SmolLM2-135M base (Hugging Face Hub, ONNX fp32)',
    memoryBytes: 700 * MB,
    downloadBytes: 540 * MB,
    contextLength: 8192,
    note: 'A small real base model: slow but workable on wasm, faster on WebGPU.',
  },
  {
    engine: 'transformers',
    modelId: 'onnx-community/Qwen2.5-0.5B',
    label: 'Qwen2.5-0.5B base (Hugging Face Hub, ONNX fp32)',
    memoryBytes: 2300 * MB,
    downloadBytes: 1980 * MB,
    contextLength: 32768,
    note: 'Solves some gsm8k questions; use WebGPU.',
  },
  {
    engine: 'webllm',
    modelId: 'Llama-3.1-8B-q4f32_1-MLC-1k',
    label: 'Llama-3.1-8B base q4f32 (1k context)',
    memoryBytes: 5295.7 * MB,
    downloadBytes: 4400 * MB,
    contextLength: 1024,
    note: 'A base model of the paper’s size (the method samples from a base model, not a chat model). 1k context covers the method’s 1024-token budget.',
  },
  {
    engine: 'webllm',
    modelId: 'Llama-3.1-8B-q4f16_1-MLC-1k',
    label: 'Llama-3.1-8B base q4f16 (1k context)',
    memoryBytes: 4598.34 * MB,
    downloadBytes: 4300 * MB,
    contextLength: 1024,
    note: 'Smaller and faster than q4f32, but needs shader-f16.',
    needsF16: true,
  },
  {
    engine: 'webllm',
    modelId: 'Llama-3-8B-Instruct-q4f32_1-MLC-1k',
    label: 'Llama-3-8B-Instruct q4f32 (1k context)',
    memoryBytes: 5295.7 * MB,
    downloadBytes: 4400 * MB,
    contextLength: 1024,
    note: 'The paper’s model family, instruction-tuned: useful for comparison with the base model.',
  },
  {
    engine: 'webllm',
    modelId: 'Llama-3.2-1B-Instruct-q4f32_1-MLC',
    label: 'Llama-3.2-1B-Instruct q4f32',
    memoryBytes: 1128.82 * MB,
    downloadBytes: 1100 * MB,
    contextLength: 4096,
    note: 'A small WebGPU model to try the web-llm path quickly.',
  },
];

/** A model served with the app from public/models (no download, no Hub). */
export function isEmbeddedModel(modelId: string): boolean {
  return modelChoice('transformers', modelId)?.downloadBytes === 0;
}

export function modelChoice(engine: EngineKind, modelId: string): ModelChoice | undefined {
  return MODEL_CHOICES.find((m) => m.engine === engine && m.modelId === modelId);
}

export function modelsFor(engine: EngineKind): ModelChoice[] {
  return MODEL_CHOICES.filter((m) => m.engine === engine);
}

export const ENGINE_LABELS: Readonly<Record<EngineKind, string>> = {
  transformers: 'transformers.js (ONNX on WebGPU or wasm)',
  webllm: 'web-llm (WebGPU, quantised)',
  remote: 'Remote OpenAI-compatible server (vLLM, llama.cpp, Ollama)',
};
