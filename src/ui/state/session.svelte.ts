// The model side of the page: which model the engine worker has loaded, its load progress, and
// the browser's capability report. Local to this tab; nothing here goes into the URL (a remote
// server's key in particular stays in memory only).
import type { EngineSettings } from '../../core/notebook';
import type { CapabilityReport } from '../../engine/capabilities';
import { EngineError } from '../../engine/protocol';
import type { LoadProgress, ModelInfo, ModelSpec } from '../../engine/types';
import { WorkerEngine } from '../../engine/workerEngine';
import { getEngine } from '../engine';
import { isEmbeddedModel } from '../models';

export type Device = 'webgpu' | 'wasm';

/** The settings of a load that are not part of the recipe. */
export interface LocalEngineSettings {
  device: Device;
  /** Remote servers only; never stored or shared. */
  apiKey: string;
  scoring: 'echo' | 'prompt_logprobs';
}

/**
 * Where the embedded models are served from (public/models/ in the app), as a root-relative
 * path: transformers.js reads a local model only from a path, not from an http(s) URL.
 */
export function embeddedModelBase(): string {
  return `${import.meta.env.BASE_URL}models/`;
}

export function modelSpec(engine: EngineSettings, local: LocalEngineSettings): ModelSpec {
  const spec: ModelSpec = { kind: engine.kind, modelId: engine.modelId };
  if (engine.version) spec.revision = engine.version;
  if (engine.kind === 'transformers') {
    spec.device = local.device;
    if (isEmbeddedModel(engine.modelId)) {
      spec.modelBaseUrl = embeddedModelBase();
      spec.allowRemoteModels = false;
    } else {
      spec.allowRemoteModels = true;
    }
  }
  if (engine.kind === 'remote') {
    if (engine.baseUrl) spec.baseUrl = engine.baseUrl;
    if (local.apiKey) spec.apiKey = local.apiKey;
    spec.scoring = local.scoring;
  }
  return spec;
}

/** Identifies a loaded model: same key, same model (device included). */
export function modelKey(engine: EngineSettings, local: LocalEngineSettings): string {
  const device = engine.kind === 'transformers' ? local.device : '';
  return [engine.kind, engine.modelId, engine.version ?? '', engine.baseUrl ?? '', device].join(
    '|',
  );
}

export class SessionState {
  readonly engine = new WorkerEngine(getEngine);
  local = $state<LocalEngineSettings>({ device: 'wasm', apiKey: '', scoring: 'echo' });
  model = $state.raw<ModelInfo | null>(null);
  loadedKey = $state.raw<string | null>(null);
  loading = $state.raw<{ key: string; progress: LoadProgress | null; started: number } | null>(
    null,
  );
  loadError = $state.raw<{ message: string; hint: string | null } | null>(null);
  loadSeconds = $state.raw<number | null>(null);
  capabilities = $state.raw<CapabilityReport | null>(null);
  private abort: AbortController | null = null;

  /** True when the loaded model is the one these settings ask for. */
  isLoaded(engine: EngineSettings): boolean {
    return this.model !== null && this.loadedKey === modelKey(engine, this.local);
  }

  async refreshCapabilities(): Promise<CapabilityReport | null> {
    try {
      const client = getEngine();
      await client.ready;
      this.capabilities = await client.call('capabilities', {});
    } catch {
      this.capabilities = null;
    }
    return this.capabilities;
  }

  async load(engine: EngineSettings): Promise<ModelInfo | null> {
    return this.loadSpec(
      modelSpec(engine, $state.snapshot(this.local)),
      modelKey(engine, this.local),
    );
  }

  /**
   * Loads any model spec under its own key (e.g. a trained model from the browser's model
   * cache); `isLoaded` of the notebook's engine is false afterwards, so cells reload theirs.
   */
  async loadSpec(spec: ModelSpec, key: string): Promise<ModelInfo | null> {
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    const started = performance.now();
    this.loading = { key, progress: null, started };
    this.loadError = null;
    this.model = null;
    this.loadedKey = null;
    try {
      const info = await this.engine.load(spec, {
        signal: abort.signal,
        onProgress: (progress) => {
          if (this.abort === abort) this.loading = { key, progress, started };
        },
      });
      if (this.abort !== abort) return null;
      this.model = info;
      this.loadedKey = key;
      this.loadSeconds = (performance.now() - started) / 1000;
      return info;
    } catch (error) {
      if (this.abort === abort && !abort.signal.aborted) {
        this.loadError = {
          message: error instanceof Error ? error.message : String(error),
          hint: error instanceof EngineError ? (error.hint ?? null) : null,
        };
      }
      return null;
    } finally {
      if (this.abort === abort) {
        this.abort = null;
        this.loading = null;
      }
    }
  }

  cancelLoad(): void {
    this.abort?.abort();
    this.abort = null;
    this.loading = null;
  }

  async unload(): Promise<void> {
    this.model = null;
    this.loadedKey = null;
    try {
      await this.engine.unload();
    } catch {
      // A crashed worker has nothing loaded anyway.
    }
  }

  /** Call when an engine call failed: a crashed worker has lost its model. */
  noteEngineError(error: unknown): void {
    if (error instanceof EngineError && error.code === 'worker-crashed') {
      this.model = null;
      this.loadedKey = null;
    }
  }
}

export const session = new SessionState();
