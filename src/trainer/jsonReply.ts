// Reading an accepted reply's JSON against its schema, shared by the reference trainer's client
// and the hosted-provider adapters: anything else is a "malformed reply" naming what was asked
// and where the reply went wrong.
import type { z } from 'zod';
import { TrainerError } from './errors';
import { trainerMessages } from './messages';

/** `text` (the body of a reply with `status`) parsed as JSON and checked against `schema`. */
export function readJsonReply<S extends z.ZodType>(
  text: string,
  status: number,
  schema: S,
  what: string,
): z.infer<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new TrainerError(
      'malformed-reply',
      trainerMessages.notJson(what, text.slice(0, 40)),
      status,
    );
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'the reply';
    throw new TrainerError(
      'malformed-reply',
      trainerMessages.unexpectedReply(what, where, issue?.message ?? 'invalid'),
      status,
    );
  }
  return parsed.data;
}
