// The controls a teacher can hide (notebook ui.hiddenControls): a hidden control shows its
// current value as plain text, so the class sees the setting but cannot change it.
export interface ControlInfo {
  id: string;
  cell: string;
  label: string;
}

export const CONTROLS: readonly ControlInfo[] = [
  { id: 'engine', cell: 'setup', label: 'Engine and model' },
  { id: 'cache', cell: 'setup', label: 'Model cache' },
  { id: 'dataset', cell: 'dataset', label: 'Task, dataset and slice' },
  { id: 'validation', cell: 'dataset', label: 'Validation set' },
  { id: 'exemplars', cell: 'prompt', label: 'Prompt exemplars' },
  { id: 'sampling', cell: 'generate', label: 'Sampling settings (m, T, tokens, seed)' },
  { id: 'extraction', cell: 'vote', label: 'Answer extraction mode' },
  { id: 'loss-mode', cell: 'score', label: 'Loss mode' },
  { id: 'k', cell: 'filter', label: 'IWSI share k' },
  { id: 'filters', cell: 'compare', label: 'Compared filters' },
  { id: 'export-format', cell: 'export', label: 'Export format' },
  { id: 'trainer', cell: 'train', label: 'Trainer settings' },
  { id: 'spin', cell: 'spin', label: 'SPIN settings (β, epochs, new tokens)' },
];

export function controlsOf(cell: string): ControlInfo[] {
  return CONTROLS.filter((control) => control.cell === cell);
}
