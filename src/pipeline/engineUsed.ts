// What a run records about the engine it ran on: the loaded model as the engine reported it,
// and the version of the backend library (pinned exactly in package.json, so the declared
// version is the one that runs). A remote server does not say what it runs: null.
import { dependencies } from '../../package.json';
import type { EngineKind } from '../core/notebook/schema';
import type { RunEngine } from '../data/records';
import type { ModelInfo } from '../engine/types';

const BACKEND_PACKAGES: Record<EngineKind, keyof typeof dependencies | null> = {
  transformers: '@huggingface/transformers',
  webllm: '@mlc-ai/web-llm',
  remote: null,
};

export function engineUsed(model: ModelInfo): RunEngine {
  const backend = BACKEND_PACKAGES[model.kind];
  return {
    kind: model.kind,
    modelId: model.modelId,
    device: model.device,
    version: backend ? `${backend} ${dependencies[backend]}` : null,
    eosToken: model.eosToken,
  };
}
