// The IndexedDB schema (Dexie 4). Only src/data/store.ts uses this module; the pipeline and the
// UI go through the store's typed API.
//
// Schema changes: append a version to SCHEMA_VERSIONS with the complete store specification and,
// when rows must change shape, an `upgrade` that rewrites them. Never edit a published version:
// browsers that already hold version N run only the upgrades after N.

import Dexie, { type Table, type Transaction } from 'dexie';
import type {
  ArtifactRecord,
  CandidateRecord,
  DatasetRecord,
  QuestionRecord,
  RunEngine,
  RunRecord,
  SettingRecord,
  TrainerJobRecord,
  ValidationItemRecord,
  ValidationLossRecord,
} from './records';

export const DEFAULT_DATABASE_NAME = 'iwsi-playground';

export type CandidatePrimaryKey = [string, number, number];
export type RowPrimaryKey = [string, number];

export interface SchemaVersion {
  version: number;
  /** Dexie store specification: primary key first, then indexes; null deletes a table. */
  stores: Record<string, string | null>;
  /** Rewrites existing rows for this version (runs once, inside the upgrade transaction). */
  upgrade?: (transaction: Transaction) => Promise<void> | void;
}

const VERSION_1_STORES: Record<string, string> = {
  datasets: 'id, kind, createdAt',
  // Compound primary keys keep rows unique and ordered by row within a dataset.
  questions: '[datasetId+row]',
  validationItems: '[datasetId+row]',
  runs: 'id, recipeHash, status, createdAt, updatedAt',
  // One row per (run, question, candidate): a resumed run can never write a duplicate.
  candidates: '[runId+questionId+index]',
  validationLosses: '[runId+row]',
  trainerJobs: 'id, runId, [endpointId+remoteJobId], updatedAt',
  artifacts: 'id, runId, createdAt',
  settings: 'key',
};

/**
 * Before version 2 the browser's run catalog (src/pipeline/dexieStore.ts) kept what the run
 * record had no field for in a setting beside the run: the model it ran (with its EOS string)
 * and a 'cancelled' stored as 'paused'.
 */
const LEGACY_RUN_NOTE_PREFIX = 'pipeline-run:';
interface LegacyRunNote {
  status?: unknown;
  model?: { modelId?: unknown; device?: unknown; eosToken?: unknown } | null;
}

/** The engine a version-1 run recorded in its note; the recipe's kind (the UI ran that engine). */
function legacyEngine(note: LegacyRunNote | undefined, run: RunRecord): RunEngine | null {
  const model = note?.model;
  if (!model || typeof model.modelId !== 'string') return null;
  return {
    kind: run.recipe.engine.kind,
    modelId: model.modelId,
    device: typeof model.device === 'string' ? model.device : '',
    version: null,
    eosToken: typeof model.eosToken === 'string' ? model.eosToken : '',
  };
}

/**
 * Version 2 keeps what happened: each candidate's finish reason (null for older rows: it was
 * not recorded), the engine a run used, and 'cancelled' apart from 'paused'. The engine and a
 * cancel move from the catalog's note into the run; the note's other contents stay.
 */
async function recordWhatHappened(transaction: Transaction): Promise<void> {
  const notes = new Map<string, LegacyRunNote>();
  await transaction
    .table<SettingRecord, string>('settings')
    .where('key')
    .startsWith(LEGACY_RUN_NOTE_PREFIX)
    .each((setting) => {
      const note = setting.value;
      if (note && typeof note === 'object') {
        notes.set(setting.key.slice(LEGACY_RUN_NOTE_PREFIX.length), note as LegacyRunNote);
      }
    });
  await transaction
    .table<RunRecord, string>('runs')
    .toCollection()
    .modify((run) => {
      const note = notes.get(run.id);
      if (run.status === 'paused' && note?.status === 'cancelled') run.status = 'cancelled';
      run.engine = run.engine ?? legacyEngine(note, run);
    });
  await transaction
    .table<CandidateRecord, CandidatePrimaryKey>('candidates')
    .toCollection()
    .modify((candidate) => {
      candidate.finishReason = candidate.finishReason ?? null;
    });
}

export const SCHEMA_VERSIONS: readonly SchemaVersion[] = [
  { version: 1, stores: VERSION_1_STORES },
  { version: 2, stores: VERSION_1_STORES, upgrade: recordWhatHappened },
];

export class IwsiDatabase extends Dexie {
  datasets!: Table<DatasetRecord, string>;
  questions!: Table<QuestionRecord, RowPrimaryKey>;
  validationItems!: Table<ValidationItemRecord, RowPrimaryKey>;
  runs!: Table<RunRecord, string>;
  candidates!: Table<CandidateRecord, CandidatePrimaryKey>;
  validationLosses!: Table<ValidationLossRecord, RowPrimaryKey>;
  trainerJobs!: Table<TrainerJobRecord, string>;
  artifacts!: Table<ArtifactRecord, string>;
  settings!: Table<SettingRecord, string>;

  constructor(
    name: string = DEFAULT_DATABASE_NAME,
    options?: ConstructorParameters<typeof Dexie>[1],
  ) {
    super(name, options);
    for (const { version, stores, upgrade } of SCHEMA_VERSIONS) {
      const declared = this.version(version).stores(stores);
      if (upgrade) declared.upgrade(upgrade);
    }
  }
}

/** The names of all tables of the current schema version. */
export function tableNames(): string[] {
  const merged: Record<string, string | null> = {};
  for (const { stores } of SCHEMA_VERSIONS) Object.assign(merged, stores);
  return Object.entries(merged)
    .filter(([, spec]) => spec !== null)
    .map(([name]) => name);
}
