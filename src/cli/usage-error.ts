/**
 * A usage error found by a subcommand after commander parsed its options (a value out of
 * range, two options that contradict each other). `main.ts` prints it and exits with code 2.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
