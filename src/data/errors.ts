// Errors of the data layer. Every message is a sentence a user can act on; `code` is stable for
// programs.

export type DataErrorCode =
  // storage
  | 'storage-full'
  | 'not-found'
  | 'conflict'
  | 'invalid-record'
  | 'secret-refused'
  // the Hugging Face Hub
  | 'network'
  | 'hub-not-found'
  | 'hub-revision-not-found'
  | 'hub-unauthorized'
  | 'hub-http'
  | 'hub-malformed'
  | 'hub-no-files'
  | 'hub-unpinned'
  // local files
  | 'file-too-large'
  | 'file-empty'
  | 'file-not-utf8'
  | 'file-syntax'
  | 'file-columns'
  | 'file-format'
  /** The recipe names a file that was not supplied. */
  | 'file-needed'
  /** The supplied file's SHA-256 is not the one the recipe pins. */
  | 'file-pin-mismatch'
  // bundles
  | 'bundle-format'
  | 'bundle-version'
  | 'bundle-missing-file'
  | 'bundle-checksum'
  | 'bundle-content'
  // generic
  | 'cancelled';

export class DataError extends Error {
  // Not "DataError": Dexie re-wraps errors named like IndexedDB's own DOMExceptions.
  override name = 'DataLayerError';

  /** Further problems of the same kind (e.g. every bad line of a file, up to a limit). */
  readonly details: string[];

  constructor(
    readonly code: DataErrorCode,
    message: string,
    options?: { cause?: unknown; details?: string[] },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.details = options?.details ?? [];
  }
}

/**
 * The browser refused to store more (QuotaExceededError). The write that raised it ran in one
 * transaction, so none of its rows were kept.
 */
export class StorageFullError extends DataError {
  override name = 'StorageFullError';

  constructor(what: string, detail: string, cause: unknown) {
    super(
      'storage-full',
      `Browser storage is full: the browser refused to save ${what}${detail}. Export or delete old runs, or allow more storage, then resume; nothing from this batch was saved.`,
      { cause },
    );
  }
}

/** True when the error is, wraps or aggregates a QuotaExceededError (Dexie wraps them). */
export function isQuotaExceeded(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== 'object' || depth > 6) return false;
  const record = error as {
    name?: unknown;
    inner?: unknown;
    cause?: unknown;
    failures?: unknown;
    message?: unknown;
  };
  if (record.name === 'QuotaExceededError') return true;
  if (isQuotaExceeded(record.inner, depth + 1) || isQuotaExceeded(record.cause, depth + 1)) {
    return true;
  }
  // Dexie's BulkError lists the failures of single operations.
  const failures = record.failures;
  if (Array.isArray(failures)) return failures.some((f) => isQuotaExceeded(f, depth + 1));
  if (failures !== null && typeof failures === 'object') {
    return Object.values(failures).some((f) => isQuotaExceeded(f, depth + 1));
  }
  // Some wrappers keep only the text ("QuotaExceededError: …").
  return typeof record.message === 'string' && record.message.includes('QuotaExceededError');
}

export function cancelledError(): DataError {
  return new DataError('cancelled', 'Loading was cancelled.');
}

/** Throws a DataError('cancelled') if the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelledError();
}
