/** A command line that cannot be understood: exit code 2, with a hint. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
