// Every sentence the trainer client and the Train cell show about a trainer endpoint, in one
// place. Each says what happened, then what to do about it; none ever repeats a token.

import { TrainerError } from './errors';
import type { TrainerErrorKind } from './errors';
import type { FineTuningJob } from './protocol';

/** The reference trainer's option that lets a page origin in. */
export const ALLOW_ORIGIN_FLAG = '--allow-origin';

function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

export const trainerMessages = {
  // -- the endpoint ---------------------------------------------------------------------------

  unreachable(
    baseUrl: string,
    detail: string,
    httpsPage: boolean,
    pageOrigin: string | null = null,
  ): string {
    const https = httpsPage
      ? ' (This page is served over https; browsers block plain-http addresses other than localhost.)'
      : '';
    // A browser hides why a request failed; a server that refuses the origin without saying so
    // (the reference trainer does say so) looks the same from a page.
    const origin =
      pageOrigin !== null
        ? ` A server that silently refuses this page's origin looks the same from here: the reference trainer needs ${ALLOW_ORIGIN_FLAG} ${pageOrigin}.`
        : '';
    return `Cannot reach the trainer at ${baseUrl} (${detail}): is it running, and is the address right?${https}${origin}`;
  },

  cors(baseUrl: string, origin: string): string {
    return `The trainer at ${baseUrl} is running but refuses requests from this page's origin ${origin} (CORS). Restart it with ${ALLOW_ORIGIN_FLAG} ${origin} (repeat the option to allow several origins).`;
  },

  unauthorized(baseUrl: string, detail: string): string {
    return `The trainer at ${baseUrl} refused the token: ${sentence(detail)} Enter the token the trainer was started with (its --token option or $IWSI_TRAINER_TOKEN) and connect again.`;
  },

  notATrainer(baseUrl: string): string {
    return `${baseUrl} answers, but has no /v1/version: it is not an IWSI trainer.`;
  },

  otherProtocol(baseUrl: string, protocol: unknown): string {
    return `${baseUrl} answers, but not as an IWSI trainer (protocol ${JSON.stringify(protocol ?? null)}).`;
  },

  otherMajorVersion(theirs: string, ours: number, newer: boolean): string {
    return `The trainer speaks protocol ${theirs || 'unknown'}; this playground speaks ${ours}.x. Update ${newer ? 'the playground' : 'the trainer'}.`;
  },

  incompleteVersion(where: string, issue: string): string {
    return `The trainer's version reply is incomplete: ${where}: ${issue}.`;
  },

  // -- replies and transfers ------------------------------------------------------------------

  timeout(baseUrl: string, request: string, seconds: number): string {
    return `The trainer at ${baseUrl} did not answer ${request} within ${seconds} s.`;
  },

  requestCancelled(request: string): string {
    return `${request} was cancelled.`;
  },

  stoppedWatching(): string {
    return 'Stopped watching the job.';
  },

  httpStatus(request: string, status: number, statusText: string): string {
    return `${request} failed with HTTP ${status} ${statusText}`.trim();
  },

  notJson(what: string, start: string): string {
    return `The reply to ${what} is not JSON (it starts with ${JSON.stringify(start)}).`;
  },

  unexpectedReply(what: string, where: string, issue: string): string {
    return `The reply to ${what} is not what this client expects: ${where}: ${issue}.`;
  },

  noArtifact(jobId: string, kind: string, have: string, status: string): string {
    return `Job ${jobId} has no ${kind} artifact (it has: ${have}${status === 'succeeded' ? '' : `; the job is ${status}`}).`;
  },

  damagedArtifact(path: string, got: number, expected: number, wrongHash: boolean): string {
    return `${path} arrived damaged (${got} of ${expected} bytes${wrongHash ? ', wrong SHA-256' : ''}); download it again.`;
  },

  evaluationEnded(status: string): string {
    return `The evaluation ${status}.`;
  },

  // -- training files -------------------------------------------------------------------------

  /** A file the user chose fails the check made here, before anything is sent. */
  fileInvalid(fileName: string, detail: string): string {
    return `${fileName}: ${sentence(detail)} Nothing was uploaded: fix the file and choose it again.`;
  },

  /** The trainer refused a file (on upload, or when the job was created from it). */
  fileRefused(fileName: string, detail: string): string {
    return `The trainer refused the training file ${fileName}: ${sentence(detail)} Nothing was trained; the run and its kept set in this browser are unchanged.`;
  },

  nothingToTrain(): string {
    return 'The filter keeps no candidate: there is nothing to train on. Raise k or choose another filter in Compare.';
  },

  // -- jobs -----------------------------------------------------------------------------------

  jobRefused(detail: string): string {
    return `The trainer refused the job: ${sentence(detail)} Nothing was trained; change the setting it names and start again.`;
  },

  jobFailed(job: Pick<FineTuningJob, 'id' | 'error'>): string {
    const code = job.error?.code ? ` (${job.error.code})` : '';
    const why = job.error?.message ? ` ${sentence(job.error.message)}` : '';
    return `Job ${job.id} failed on the trainer${code}.${why}`;
  },

  jobCancelled(jobId: string, step: number | null, totalSteps: number | null): string {
    const where = step !== null && totalSteps ? ` at step ${step} of ${totalSteps}` : '';
    return `Job ${jobId} was cancelled${where}. The run and its kept set in this browser are unchanged; start a new job when you are ready.`;
  },

  cancelledBeforeJob(): string {
    return 'Cancelled before a job was created: nothing runs on the trainer.';
  },

  cancelFailed(jobId: string, detail: string): string {
    return `Could not cancel job ${jobId}: ${sentence(detail)} It may still be running on the trainer; press Cancel again once the trainer answers.`;
  },

  /**
   * The trainer stopped answering while a job was followed. It was reached before, so the cause
   * is an outage, not the address or the origin: only the kind of silence is worth telling.
   */
  connectionLost(
    baseUrl: string,
    jobId: string,
    error: Pick<TrainerError, 'kind' | 'message'>,
  ): string {
    const reason =
      error.kind === 'unreachable'
        ? 'nothing answers at that address any more.'
        : error.kind === 'timeout'
          ? 'it stopped answering in time.'
          : sentence(error.message);
    return `Lost the connection to the trainer at ${baseUrl} while following job ${jobId}: ${reason} The job is kept on the trainer and everything here is kept in this browser; this page keeps trying and re-attaches when the trainer answers again.`;
  },

  reattached(jobId: string, seconds: number): string {
    return `The trainer answers again: re-attached to job ${jobId} after ${seconds} s without a connection.`;
  },

  gaveUp(baseUrl: string, jobId: string, minutes: number, reason: string): string {
    return `Stopped following job ${jobId}: the trainer at ${baseUrl} has not answered for ${minutes} minutes (${reason.replace(/\.$/, '')}). The job and everything stored in this browser are kept; press "Re-attach" once the trainer runs again.`;
  },

  reattachNeedsConnection(jobId: string, baseUrl: string): string {
    return `Job ${jobId} on ${baseUrl} had not finished when this page was last open. Connect to that trainer to re-attach to it.`;
  },

  notSaved(detail: string): string {
    return `The job's progress could not be saved in this browser (${detail.replace(/\.$/, '')}); the job itself is unaffected.`;
  },

  // -- evaluation -----------------------------------------------------------------------------

  evaluationFailed(label: string, detail: string): string {
    return `Evaluating the ${label} model on the trainer failed: ${sentence(detail)}`;
  },
};

/** Sentences about a hosted provider reached through an adapter (src/trainer/providers). */
export const providerMessages = {
  unreachable(provider: string, baseUrl: string, detail: string): string {
    return `Cannot reach ${provider} at ${baseUrl} (${detail}): check the address and this computer's network connection. From a page, a service that refuses this page's origin (CORS) looks the same.`;
  },

  unauthorized(provider: string, baseUrl: string, detail: string): string {
    return `${provider} at ${baseUrl} refused the API key: ${sentence(detail)} Enter a key from your ${provider} account and connect again.`;
  },

  weightedRows(provider: string, rows: number, zeroWeightRows: number): string {
    const zero = zeroWeightRows > 0 ? `, ${zeroWeightRows} of them with weight 0` : '';
    return `${provider}'s fine-tuning API has no per-row weights, and this file weighs rows other than 1 (${rows} rows${zero}). Training there would quietly turn weighted fine-tuning into plain fine-tuning, so nothing was uploaded: train weighted sets on the reference trainer, or keep rows whose weights are all 1.`;
  },

  formatNotTaken(provider: string, format: string): string {
    return `${provider} does not take ${format}; convert the file to prompt/completion rows (or prompt/chosen/rejected pairs for DPO) first.`;
  },

  jobFailed(provider: string): string {
    return `The job failed on ${provider} without a reason in its events.`;
  },

  noEvaluation(provider: string): string {
    return `Evaluation runs on the reference trainer only: ${provider}'s fine-tuning API has no evaluation of this notebook's task. The fine-tuned model is named in the Train cell; evaluate it through ${provider}'s own inference, or connect to a reference trainer.`;
  },

  // -- what a job request carries that the provider's API has no field for -------------------

  accumulationFolded(batch: number, accumulation: number): string {
    return `No gradient accumulation: sent batch size ${batch * accumulation} (batch ${batch} × accumulation ${accumulation}), the same rows per optimizer step; the provider may pack rows or raise the batch to its minimum.`;
  },

  notSent(what: string, why: string): string {
    return `${what}: not sent (${why}).`;
  },

  faithfulLoss(): string {
    return "Loss mode faithful: sent as train_on_inputs true (the loss covers the prompt too); the official code's mean over padded positions is not reproduced.";
  },
};

/** What the Train or Evaluate cell was doing when a call failed. */
export type TrainerPhase = 'connect' | 'upload' | 'create' | 'watch' | 'cancel' | 'evaluate';

export interface ExplainedFailure {
  /** The TrainerError's kind, or "other" for anything else. */
  kind: TrainerErrorKind | 'other';
  message: string;
}

/** Trainer refusals that are about the request itself rather than the connection. */
const REFUSALS: readonly TrainerErrorKind[] = ['bad-request', 'not-found', 'payload-too-large'];

/**
 * The sentence a cell shows for a failed call: connection problems (unreachable, CORS, token,
 * protocol) speak for themselves; a refusal is put in the words of what was being done.
 */
export function explainFailure(
  error: unknown,
  phase: TrainerPhase,
  context: { fileName?: string; jobId?: string; label?: string } = {},
): ExplainedFailure {
  if (!(error instanceof TrainerError)) {
    return { kind: 'other', message: error instanceof Error ? error.message : String(error) };
  }
  const { kind, message } = error;
  const refused = REFUSALS.includes(kind);
  if (phase === 'upload' && refused) {
    return { kind, message: trainerMessages.fileRefused(context.fileName ?? 'file', message) };
  }
  if (phase === 'create' && refused) {
    const aboutFile = error.param === 'training_file' || error.code === 'invalid_file';
    return {
      kind,
      message: aboutFile
        ? trainerMessages.fileRefused(context.fileName ?? 'file', message)
        : trainerMessages.jobRefused(message),
    };
  }
  if (phase === 'cancel' && kind !== 'cancelled') {
    return { kind, message: trainerMessages.cancelFailed(context.jobId ?? 'the job', message) };
  }
  if (phase === 'evaluate' && kind !== 'cancelled') {
    return { kind, message: trainerMessages.evaluationFailed(context.label ?? 'chosen', message) };
  }
  return { kind, message };
}
