/**
 * Contract between the rule engine and the operators.
 *
 * Values are byte strings: every JS char code is one byte (0-255), the request decoded as
 * latin1, exactly the bytes ModSecurity sees. Operators and transformations never assume UTF-16
 * text; a regex written for UTF-8 text is translated to match the UTF-8 byte sequence.
 */
export interface OperatorTx {
  /** Expand %{...} macros (e.g. %{tx.inbound_anomaly_score_threshold}) in an operator argument. */
  expandMacros(text: string): string;
  /** True when the rule carries the `capture` action: the operator then fills TX:0-9. */
  readonly capturing: boolean;
  setCapture(index: number, value: string): void;
  /** What the operator matched, for "Matched Data: ... found within ..." in the log. */
  setMatchedData(value: string): void;
}

export interface Operator {
  /** Whether the (transformed) input matches. Must run in bounded time for any input. */
  evaluate(tx: OperatorTx, input: string): boolean;
  /**
   * Lower-cased strings of which every matching input contains one (ASCII case-insensitively),
   * when the operator knows such a set (`@rx` with a fixed pattern). The engine then scans each
   * value once for the literals of all rules and skips `evaluate` on values that hold none,
   * where it would return false.
   */
  readonly requiredLiterals?: readonly string[];
}

export interface OperatorOptions {
  /** Directory of the rule file, for @pmFromFile / @ipMatchFromFile relative paths. */
  readonly baseDir: string;
}

/**
 * Builds an operator from its SecLang argument (`@rx <argument>`). Throws an Error with a plain
 * message on a bad argument; the parser adds file and line.
 */
export type OperatorFactory = (argument: string, options: OperatorOptions) => Operator;
