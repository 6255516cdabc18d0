// The inside of a scoring pool worker (workers/scorePool.worker.ts): loads the engine's model on
// one wasm thread, then scores the batches it is sent with the engine's own per-batch code.
import { AutoModelForCausalLM, type PreTrainedModel } from '@huggingface/transformers';
import { configureBrowserRuntime } from './browserRuntime';
import { Exclusive } from './logitsOnly';
import { scoreBatch } from './scoreBatch';
import type { PoolLoadRequest, PoolReply, PoolRequest } from './scorePool';

interface Endpoint {
  postMessage(message: PoolReply): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}

export function serveScorePool(endpoint: Endpoint): void {
  let model: Promise<PreTrainedModel> | null = null;
  const exclusive = new Exclusive();
  const session = <T>(job: () => Promise<T>): Promise<T> => exclusive.run(job);
  const fail = (id: number | null, error: unknown): void =>
    endpoint.postMessage({
      type: 'failed',
      id,
      message: error instanceof Error ? error.message : String(error),
    });

  endpoint.addEventListener('message', (event: MessageEvent) => {
    const message = event.data as PoolRequest;
    if (message.type === 'load') {
      model = load(message.request);
      model.then(
        () => endpoint.postMessage({ type: 'loaded' }),
        (error: unknown) => fail(null, error),
      );
    } else if (message.type === 'score') {
      const { id, batch, padId } = message;
      if (!model) return fail(id, new Error('No model is loaded.'));
      model
        .then((loaded) => scoreBatch(loaded, batch, padId, session))
        .then(
          (results) => endpoint.postMessage({ type: 'scored', id, results }),
          (error: unknown) => fail(id, error),
        );
    }
  });
}

async function load(request: PoolLoadRequest): Promise<PreTrainedModel> {
  configureBrowserRuntime({
    localModelPath: request.localModelPath,
    allowRemoteModels: request.allowRemoteModels,
    numThreads: 1,
  });
  return AutoModelForCausalLM.from_pretrained(request.modelId, {
    dtype: 'fp32',
    device: 'wasm',
    session_options: request.sessionOptions,
    ...(request.revision ? { revision: request.revision } : {}),
  });
}
