import type { CollectionEntry, KeyedCollection } from '../engine/collection.js';

/** What variable resolution reads from a transaction. */
export interface VariableSource {
  scalar(name: string): string | undefined;
  collection(name: string): KeyedCollection | undefined;
  /**
   * A view built from collections (ARGS from ARGS_GET + ARGS_POST, ARGS_NAMES...), reused until
   * one of them changes: hundreds of rules read the same view per request.
   */
  derived(
    view: string,
    sources: readonly string[],
    build: (src: VariableSource) => CollectionEntry[],
  ): readonly CollectionEntry[];
}

/**
 * How one SecLang variable is read. A `scalar` yields one value (its key is ''); a `collection`
 * yields entries that selectors (`:key`, `:/regex/`) filter.
 */
export type VariableDefinition = VariableShape & {
  /** Dense number per variable (0 .. VARIABLE_COUNT - 1), for per-transaction arrays. */
  readonly id: number;
  /**
   * Request or response data, set only while the transaction is fed (between phases): no action
   * changes it while rules run, unlike TX, MATCHED_VAR(S), ENV or the persistent collections. Its
   * value can be read once per phase.
   */
  readonly stable: boolean;
};

type VariableShape =
  | { readonly kind: 'scalar'; read(src: VariableSource): string | undefined; readonly lookup?: undefined }
  | {
      readonly kind: 'collection';
      read(src: VariableSource): readonly CollectionEntry[];
      /**
       * The entries under one key, through the collection's index (TX:x, REQUEST_HEADERS:Host).
       * `lower` is the key lower-cased: selectors compute it once at load.
       */
      lookup?(src: VariableSource, lower: string): readonly CollectionEntry[];
    };

const scalar = (name: string): VariableShape => ({ kind: 'scalar', read: (src) => src.scalar(name) });
const stored = (name: string): VariableShape => ({
  kind: 'collection',
  read: (src) => src.collection(name)?.entries() ?? [],
  lookup: (src, lower) => src.collection(name)?.getAllLower(lower) ?? [],
});
/** `X_NAMES`: the keys of collection X, each as key and value (ModSecurity: ARGS_NAMES...). */
const namesOf = (...names: string[]): VariableShape => {
  const view = `names:${names.join(',')}`;
  // Built once: a closure per read would be an allocation per rule target per request.
  const build = (src: VariableSource): CollectionEntry[] => {
    const out: CollectionEntry[] = [];
    for (const name of names)
      for (const e of src.collection(name)?.entries() ?? [])
        out.push({ key: e.key, lower: e.lower, value: e.key, form: undefined });
    return out;
  };
  return { kind: 'collection', read: (src) => src.derived(view, names, build) };
};
const unionOf = (...names: string[]): VariableShape => {
  const view = `union:${names.join(',')}`;
  const build = (src: VariableSource): CollectionEntry[] => {
    const out: CollectionEntry[] = [];
    for (const name of names) for (const e of src.collection(name)?.entries() ?? []) out.push(e);
    return out;
  };
  return {
    kind: 'collection',
    read: (src) => src.derived(view, names, build),
    lookup: (src, lower) => {
      const out: CollectionEntry[] = [];
      for (const name of names) for (const e of src.collection(name)?.getAllLower(lower) ?? []) out.push(e);
      return out;
    },
  };
};

/** Scalars the transaction sets (request line, connection, body processing, response...). */
const SCALARS = [
  'AUTH_TYPE',
  'DURATION',
  'FILES_COMBINED_SIZE',
  'FULL_REQUEST',
  'FULL_REQUEST_LENGTH',
  'HIGHEST_SEVERITY',
  'INBOUND_DATA_ERROR',
  'MATCHED_VAR',
  'MATCHED_VAR_NAME',
  'MODSEC_BUILD',
  'MULTIPART_BOUNDARY_QUOTED',
  'MULTIPART_BOUNDARY_WHITESPACE',
  'MULTIPART_CRLF_LF_LINES',
  'MULTIPART_DATA_AFTER',
  'MULTIPART_DATA_BEFORE',
  'MULTIPART_FILE_LIMIT_EXCEEDED',
  'MULTIPART_HEADER_FOLDING',
  'MULTIPART_INVALID_HEADER_FOLDING',
  'MULTIPART_INVALID_PART',
  'MULTIPART_INVALID_QUOTING',
  'MULTIPART_LF_LINE',
  'MULTIPART_MISSING_SEMICOLON',
  'MULTIPART_SEMICOLON_MISSING',
  'MULTIPART_STRICT_ERROR',
  'MULTIPART_UNMATCHED_BOUNDARY',
  'OUTBOUND_DATA_ERROR',
  'PATH_INFO',
  'QUERY_STRING',
  'REMOTE_ADDR',
  'REMOTE_HOST',
  'REMOTE_PORT',
  'REMOTE_USER',
  'REQBODY_ERROR',
  'REQBODY_ERROR_MSG',
  'REQBODY_PROCESSOR',
  'REQBODY_PROCESSOR_ERROR',
  'REQBODY_PROCESSOR_ERROR_MSG',
  'REQUEST_BASENAME',
  'REQUEST_BODY',
  'REQUEST_BODY_LENGTH',
  'REQUEST_FILENAME',
  'REQUEST_LINE',
  'REQUEST_METHOD',
  'REQUEST_PROTOCOL',
  'REQUEST_URI',
  'REQUEST_URI_RAW',
  'RESPONSE_BODY',
  'RESPONSE_CONTENT_LENGTH',
  'RESPONSE_CONTENT_TYPE',
  'RESPONSE_PROTOCOL',
  'RESPONSE_STATUS',
  'SERVER_ADDR',
  'SERVER_NAME',
  'SERVER_PORT',
  'SESSIONID',
  'STATUS_LINE',
  'TIME',
  'TIME_DAY',
  'TIME_EPOCH',
  'TIME_HOUR',
  'TIME_MIN',
  'TIME_MON',
  'TIME_SEC',
  'TIME_WDAY',
  'TIME_YEAR',
  'UNIQUE_ID',
  'URLENCODED_ERROR',
  'USERID',
  'WEBAPPID',
] as const;

/** Collections stored as such on the transaction. */
const STORED = [
  'ARGS_GET',
  'ARGS_POST',
  'ARGS_PATH',
  'ENV',
  'FILES',
  'FILES_SIZES',
  'FILES_TMPNAMES',
  'FILES_TMP_CONTENT',
  'GEO',
  'GLOBAL',
  'IP',
  'MATCHED_VARS',
  'MULTIPART_FILENAME',
  'MULTIPART_NAME',
  'MULTIPART_PART_HEADERS',
  'REQUEST_COOKIES',
  'REQUEST_HEADERS',
  'RESOURCE',
  'RESPONSE_HEADERS',
  'RULE',
  'SESSION',
  'TX',
  'USER',
  'XML',
] as const;

const table = new Map<string, VariableShape>();
for (const name of SCALARS) table.set(name, scalar(name));
for (const name of STORED) table.set(name, stored(name));
table.set('ARGS', unionOf('ARGS_GET', 'ARGS_POST'));
table.set('ARGS_NAMES', namesOf('ARGS_GET', 'ARGS_POST'));
table.set('ARGS_GET_NAMES', namesOf('ARGS_GET'));
table.set('ARGS_POST_NAMES', namesOf('ARGS_POST'));
table.set('REQUEST_COOKIES_NAMES', namesOf('REQUEST_COOKIES'));
table.set('REQUEST_HEADERS_NAMES', namesOf('REQUEST_HEADERS'));
table.set('RESPONSE_HEADERS_NAMES', namesOf('RESPONSE_HEADERS'));
table.set('FILES_NAMES', namesOf('FILES'));
table.set('MATCHED_VARS_NAMES', namesOf('MATCHED_VARS'));
// ModSecurity: the summed length of every argument name and value.
table.set('ARGS_COMBINED_SIZE', {
  kind: 'scalar',
  read: (src) => {
    let size = 0;
    for (const name of ['ARGS_GET', 'ARGS_POST'])
      for (const e of src.collection(name)?.entries() ?? []) size += e.key.length + e.value.length;
    return String(size);
  },
});

const STABLE = new Set([
  'ARGS',
  'ARGS_NAMES',
  'ARGS_GET',
  'ARGS_GET_NAMES',
  'ARGS_POST',
  'ARGS_POST_NAMES',
  'ARGS_PATH',
  'REQUEST_HEADERS',
  'REQUEST_HEADERS_NAMES',
  'REQUEST_COOKIES',
  'REQUEST_COOKIES_NAMES',
  'REQUEST_FILENAME',
  'REQUEST_BASENAME',
  'REQUEST_URI',
  'REQUEST_URI_RAW',
  'REQUEST_LINE',
  'REQUEST_METHOD',
  'REQUEST_PROTOCOL',
  'REQUEST_BODY',
  'QUERY_STRING',
  'PATH_INFO',
  'FILES',
  'FILES_NAMES',
  'XML',
  'RESPONSE_BODY',
  'RESPONSE_HEADERS',
  'RESPONSE_HEADERS_NAMES',
]);

const definitions = new Map<string, VariableDefinition>();
for (const [name, shape] of table) {
  // One field order for every definition (lookup undefined for scalars and views without an
  // index): the rule loop reads them for every target, and spread shapes made those reads
  // megamorphic (35 hidden classes over CRS's targets).
  definitions.set(name, {
    kind: shape.kind,
    read: shape.read,
    lookup: shape.kind === 'collection' ? shape.lookup : undefined,
    id: definitions.size,
    stable: STABLE.has(name),
  } as VariableDefinition);
}

/** Every variable the engine knows, keyed by upper-case SecLang name. */
export const VARIABLES: ReadonlyMap<string, VariableDefinition> = definitions;

/** Number of variables in VARIABLES (their ids are 0 .. VARIABLE_COUNT - 1). */
export const VARIABLE_COUNT = definitions.size;

/** Collections `setvar` may write to (ModSecurity persistent collections are per-process here). */
export const WRITABLE_COLLECTIONS = new Set(['TX', 'IP', 'GLOBAL', 'SESSION', 'USER', 'RESOURCE']);
