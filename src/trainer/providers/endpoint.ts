// What the Train cell needs from a fine-tuning endpoint, whichever service is behind it: the
// reference trainer's client (TrainerClient) has these methods already; a hosted provider's
// adapter maps its own API onto them, so the cell shows progress and cancels the same way.

import type { EndpointCheck, WatchOptions } from '../client';
import type { FineTuningJob, FineTuningJobRequest } from '../protocol';

export const ENDPOINT_KINDS = ['reference', 'together'] as const;
/** reference: a server speaking docs/trainer-protocol.md; together: Together AI's API. */
export type EndpointKind = (typeof ENDPOINT_KINDS)[number];

export const ENDPOINT_KIND_NAMES: Record<EndpointKind, string> = {
  reference: 'reference trainer (self-hosted)',
  together: 'Together AI (hosted)',
};

/** Where each kind of endpoint is, until the user says otherwise. */
export const DEFAULT_BASE_URLS: Record<EndpointKind, string> = {
  reference: 'http://127.0.0.1:8765',
  together: 'https://api.together.xyz',
};

export interface TrainingEndpoint {
  readonly baseUrl: string;
  checkEndpoint(signal?: AbortSignal): Promise<EndpointCheck>;
  uploadFile(content: string, filename: string, signal?: AbortSignal): Promise<{ id: string }>;
  createJob(request: FineTuningJobRequest, signal?: AbortSignal): Promise<FineTuningJob>;
  getJob(id: string, signal?: AbortSignal): Promise<FineTuningJob>;
  cancelJob(id: string, signal?: AbortSignal): Promise<FineTuningJob>;
  watchJob(id: string, options?: WatchOptions): Promise<FineTuningJob>;
}
