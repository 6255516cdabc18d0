// The notebook (recipe) module: schema, defaults, versions, link codec, repair and hash.

export {
  DEFAULT_K,
  DEFAULT_SEED,
  DEFAULT_U,
  defaultNotebook,
  defaultRecipe,
  defaultUiState,
} from './defaults';
export { NotebookError } from './errors';
export type { NotebookErrorKind } from './errors';
export { describeIssues, formatPath } from './issues';
export { extractFragment, LINK_FORMAT_VERSION, MAX_JSON_BYTES, MAX_LINK_CHARS } from './link';
export { MIGRATIONS, migrateNotebook } from './migrate';
export type { Migration } from './migrate';
export {
  canonicalJson,
  decodeNotebook,
  encodeNotebook,
  looksLikeNotebookLink,
  notebookUrl,
  parseNotebook,
  recipeHash,
} from './notebook';
export { nearestValidNotebook } from './repair';
export type { RepairResult } from './repair';
export {
  ENGINE_KINDS,
  filterSpecSchema,
  NOTEBOOK_VERSION,
  notebookSchema,
  recipeSchema,
  uiStateSchema,
} from './schema';
export type {
  DatasetRef,
  EngineKind,
  EngineSettings,
  FileColumnMapping,
  Notebook,
  QuestionsFile,
  Recipe,
  TrainerSettings,
  UiState,
  ValidationSource,
} from './schema';
