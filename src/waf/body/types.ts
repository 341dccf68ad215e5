/** Where a body processor puts what it parsed. Values are byte strings (latin1). */
export interface BodySink {
  /** An argument (ARGS_POST). Returns false once SecArgumentsLimit is reached. */
  addArgument(key: string, value: string): boolean;
  /** A value in a named collection (FILES, XML, MULTIPART_PART_HEADERS...). */
  addToCollection(collection: string, key: string, value: string): void;
  setScalar(name: string, value: string): void;
}

/** A parse failure: the message goes to REQBODY_ERROR_MSG, prefixed as ModSecurity does. */
export interface BodyError {
  readonly message: string;
}

/** One request body processor (URLENCODED, JSON, XML, MULTIPART). Never throws. */
export type BodyProcessor = (
  body: string,
  contentType: string,
  sink: BodySink,
  limits: BodyLimits,
) => BodyError | undefined;

export interface BodyLimits {
  readonly jsonDepth: number;
}
