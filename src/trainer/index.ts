// The trainer endpoint client: protocol types, the fetch client, job requests from the notebook,
// evaluation scored with the core, progress helpers, a safetensors reader, the pre-upload check
// of training files and every message about the endpoint.

export { normalizeBaseUrl, TrainerClient } from './client';
export type { EndpointCheck, TrainerClientOptions, WatchOptions } from './client';
export { TRAINER_ERROR_KINDS, TrainerError } from './errors';
export type { TrainerErrorKind } from './errors';
export { evaluationRequest, scoreEvaluation } from './evaluation';
export type {
  EvaluationItem,
  EvaluationRequestInput,
  EvaluationScore,
  ScoredItem,
} from './evaluation';
export { spinJobRequest, supervisedJobRequest } from './jobRequest';
export { ALLOW_ORIGIN_FLAG, explainFailure, providerMessages, trainerMessages } from './messages';
export type { ExplainedFailure, TrainerPhase } from './messages';
export type { JobRequestInput } from './jobRequest';
export { formatEta, lossCurve, trainingProgress } from './progress';
export type { TrainingProgress } from './progress';
export {
  ARTIFACT_KINDS,
  FINISHED_STATUSES,
  JOB_STATUSES,
  PROTOCOL_MAJOR,
  PROTOCOL_NAME,
} from './protocol';
export type {
  ArtifactKind,
  EvaluationJob,
  EvaluationOutput,
  EvaluationRequest,
  FineTuningJob,
  FineTuningJobRequest,
  IwsiJobExtension,
  JobArtifact,
  JobCheckpoint,
  JobEvent,
  JobStatus,
  TrainerFile,
  TrainerVersion,
} from './protocol';
export { DEFAULT_BASE_URLS, ENDPOINT_KIND_NAMES, ENDPOINT_KINDS } from './providers/endpoint';
export type { EndpointKind, TrainingEndpoint } from './providers/endpoint';
export {
  TOGETHER_BASE_URL,
  TOGETHER_LLAMA3_8B_MODELS,
  TOGETHER_NAME,
  TogetherClient,
  togetherJobRequest,
  togetherModelFor,
  togetherTrainingFile,
} from './providers/together';
export { readF32Tensor, readSafetensorsHeader } from './safetensors';
export {
  checkTrainingFile,
  TRAINING_FILE_FORMATS,
  TRAINING_FORMAT_NAMES,
  TrainingFileError,
} from './trainingFile';
export type { TrainingFileFormat, TrainingFileSummary, TrainingMethod } from './trainingFile';
export type { SafetensorsEntry, SafetensorsHeader } from './safetensors';
