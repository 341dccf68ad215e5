/** What a CLI command can touch: streams and environment, injectable for tests. */
export interface CliIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/**
 * One top-level command (`portcullis <name> ...`). A command with sub-commands (`db migrate`)
 * parses them itself. `run` returns the exit code; bad input is one plain sentence on stderr
 * naming the file, line and key, never a stack trace.
 */
export interface Command {
  readonly name: string;
  /** One line for `portcullis --help`. */
  readonly summary: string;
  /** Full text for `portcullis <name> --help`. */
  readonly help: string;
  run(argv: readonly string[], io: CliIO): Promise<number>;
}
