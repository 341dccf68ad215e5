/**
 * A SecLang transformation (`t:lowercase`): a pure function over a byte string (one char code
 * per byte, 0-255). Must be linear in the input length.
 */
export type Transformation = (input: string) => string;
