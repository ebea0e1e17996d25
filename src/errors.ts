// The three kinds of failure (DESIGN.md "The machine"): bad input, a gap, a bug.
// Outcomes of the model (faults, false predicates) are values, never these.

/** The vector asks for something malformed: the runner reports it as a format error. */
export class VectorFormatError extends Error {
  override readonly name = 'VectorFormatError';
  constructor(
    message: string,
    readonly pointer: string = '',
  ) {
    super(message);
  }
}

/** The model does not implement what the vector asks for: the vector is skipped with this reason. */
export class UnsupportedError extends Error {
  override readonly name = 'UnsupportedError';
}

/** A bug in the engine: never caught by the comparer, so it crashes loudly. */
export class InternalError extends Error {
  override readonly name = 'InternalError';
}
