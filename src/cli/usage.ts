import { PodlingError } from '../errors.js';

/** A command line that cannot be understood: exit code 2, with a hint. */
export class UsageError extends PodlingError<'usage'> {
  override readonly name = 'UsageError';
  constructor(message: string) {
    super('usage', message);
  }
}
