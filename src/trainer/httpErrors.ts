// Turning a refused HTTP reply into a TrainerError, shared by the reference trainer's client and
// the hosted-provider adapters: both speak OpenAI's error body; only how a refused credential or
// origin is worded differs, and that stays with the caller.

import { TrainerError, type TrainerErrorKind } from './errors';
import { errorReplySchema } from './protocol';

/** What a refused reply says: its OpenAI-style error body, else the given status line. */
export interface ErrorReply {
  status: number;
  message: string;
  code: string | undefined;
  param: string | undefined;
}

export function readErrorReply(status: number, text: string, statusLine: string): ErrorReply {
  try {
    const parsed = errorReplySchema.safeParse(JSON.parse(text));
    if (parsed.success) {
      const { message, code, param } = parsed.data.error;
      return { status, message, code: code ?? undefined, param: param ?? undefined };
    }
  } catch {
    // Not JSON: keep the status line.
  }
  return { status, message: statusLine, code: undefined, param: undefined };
}

/** The error of a reply whose status says nothing about credentials. */
export function errorForStatus(reply: ErrorReply): TrainerError {
  const { status } = reply;
  const kind: TrainerErrorKind =
    status === 404
      ? 'not-found'
      : status === 413
        ? 'payload-too-large'
        : status >= 500
          ? 'server'
          : 'bad-request';
  return errorOfKind(kind, reply.message, reply);
}

/** A TrainerError of `kind` carrying the reply's status, code and field. */
export function errorOfKind(
  kind: TrainerErrorKind,
  message: string,
  reply: ErrorReply,
): TrainerError {
  return new TrainerError(kind, message, reply.status, reply.code, reply.param);
}
