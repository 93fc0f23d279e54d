/** Training refused: the data cannot support a model (too few positive or negative labels). Not retryable: more data is needed. */
export class InsufficientDataError extends Error {
  static readonly code = 'INSUFFICIENT_TRAINING_DATA';
  readonly retryable = false;

  constructor(readonly counts: { rows: number; positives: number; negatives: number; evaluateRows: number; evaluatePositives: number; minPositives: number }, message: string) {
    super(message);
    this.name = 'InsufficientDataError';
  }
}
