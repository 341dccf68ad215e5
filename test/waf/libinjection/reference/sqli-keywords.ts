/**
 * The SQL vocabulary the SQLi tokenizer classifies words with.
 *
 * Built for Portcullis from the grammars of the dialects an injection usually targets (MySQL /
 * MariaDB, PostgreSQL, Microsoft SQL Server, Oracle, SQLite). A word only gets a class here when
 * the class changes what the grammar in sqli-grammar.ts can conclude; everything else is a
 * bareword (`n`), which is what keeps ordinary prose from forming injection-shaped sequences.
 */

/**
 * Token classes, one character each so that a token sequence reads as a short fingerprint.
 * The letters follow the convention libinjection made familiar to WAF users (`s&sos`).
 */
export type SqlTokenClass =
  | 's' // string literal
  | '1' // number or literal constant (NULL, TRUE ...)
  | 'n' // bareword: identifier, unknown word, quoted identifier
  | 'v' // variable: @name, @@system_variable
  | 'k' // keyword that is neither of the classes below
  | 'E' // statement or sub-query head: SELECT, INSERT, DROP ...
  | 'U' // set operator joining a second query: UNION, INTERSECT, EXCEPT
  | 'B' // clause that reshapes a result: ORDER BY, GROUP BY, HAVING, LIMIT
  | 'T' // time-delay statement: WAITFOR DELAY / WAITFOR TIME
  | 'f' // function name followed by `(`
  | 'o' // operator
  | '&' // logical connective: AND, OR, XOR, &&, ||
  | 'c' // comment
  | '('
  | ')'
  | ','
  | ';'
  | '.'
  | ':'
  | '{'
  | '}'
  | '?'; // any other byte

function table(entries: ReadonlyArray<readonly [SqlTokenClass, string]>): ReadonlyMap<string, SqlTokenClass> {
  const map = new Map<string, SqlTokenClass>();
  for (const [cls, words] of entries) {
    for (const word of words.split(/\s+/)) if (word !== '') map.set(word, cls);
  }
  return map;
}

/** Words classified wherever they appear (lower case). */
export const SQL_WORDS: ReadonlyMap<string, SqlTokenClass> = table([
  // Statements an attacker appends after `;` (stacked queries) or nests as a sub-query.
  ['E', 'select insert update delete drop create alter truncate exec execute declare shutdown'],
  // Set operators: the UNION-based extraction technique.
  ['U', 'union intersect except'],
  // Result-shaping clauses used to enumerate columns (`ORDER BY 5--`) or probe with HAVING.
  ['B', 'having limit'],
  // MSSQL time-based blind injection.
  ['T', 'waitfor'],
  ['&', 'and or xor'],
  // Operators spelled as words; `not` is also unary, see the folding rules.
  ['o', 'like ilike rlike regexp in is not between div mod sounds escape glob collate'],
  // Constants that behave as a value in an expression.
  ['1', 'null true false'],
  [
    'k',
    'from where into values table as join on using case when then else end distinct all any some ' +
      'procedure outfile dumpfile top with set begin cursor fetch go by order group delay time ' +
      'offset analyse database asc desc',
  ],
]);

/**
 * Function names: a word from this list followed by `(` is a call (`f`). Chosen because they are
 * what injections call: time delays, string builders that dodge quote filters, error-based
 * extraction, server fingerprinting, file and network access, and the common aggregates used to
 * size a result set.
 */
export const SQL_FUNCTIONS: ReadonlySet<string> = new Set(
  // time delays
  (
    'sleep benchmark pg_sleep dbms_lock.sleep dbms_pipe.receive_message ' +
    // string construction without quotes
    'char chr nchar concat concat_ws group_concat string_agg listagg hex unhex bin conv ' +
    'ascii ord unicode substring substr mid left right reverse repeat space lpad rpad replace ' +
    'lower upper lcase ucase trim ltrim rtrim length len char_length instr locate position ' +
    // error-based extraction (MySQL XML and geometry functions, Oracle XMLType)
    'extractvalue updatexml xmltype exp floor rand row name_const polygon multipoint ' +
    'geometrycollection linestring multilinestring multipolygon json_keys gtid_subset ' +
    // server and session fingerprinting
    'version database schema user current_user session_user system_user current_database ' +
    'db_name user_name host_name suser_name suser_sname is_srvrolemember sqlite_version ' +
    // file, network and command access
    'load_file pg_read_file lo_import openrowset opendatasource utl_inaddr.get_host_address ' +
    'utl_http.request load_extension xp_cmdshell ' +
    // conditionals and conversions used to build boolean oracles
    'if iif ifnull isnull nullif coalesce cast convert elt field find_in_set exists md5 sha1 sha2 ' +
    'count sum avg min max randomblob hextoraw rawtohex to_char'
  ).split(/\s+/),
);

/**
 * Calls that have no business in a form field on their own: time delays, file and command
 * access, and the error-based extraction functions. An input that starts by calling one is an
 * attack even when the call is unfinished.
 */
export const HIGH_RISK_FUNCTIONS: ReadonlySet<string> = new Set(
  (
    'sleep benchmark pg_sleep dbms_lock.sleep dbms_pipe.receive_message load_file pg_read_file lo_import ' +
    'openrowset opendatasource xp_cmdshell utl_inaddr.get_host_address utl_http.request load_extension ' +
    'extractvalue updatexml name_const'
  ).split(' '),
);

/**
 * Functions that report on the server or session (`version()`, `user()`): called with no
 * arguments, they only make sense as reconnaissance.
 */
export const FINGERPRINT_FUNCTIONS: ReadonlySet<string> = new Set(
  'version database schema user current_user session_user system_user db_name user_name host_name current_database sqlite_version'.split(
    ' ',
  ),
);

/**
 * (length, first byte, last byte) of every word in the tables above, lower-cased, as one
 * small integer: a word whose key is absent cannot be in any table, so most prose words are
 * classified without building a lower-case copy and hashing it.
 */
export function wordKey(length: number, first: number, last: number): number {
  return (length << 16) | ((first | 0x20) << 8) | (last | 0x20);
}

/** Words that merge with the next word into one token, and the class of the pair. */
export const SQL_WORD_PAIRS: ReadonlyMap<string, { readonly next: ReadonlySet<string>; readonly cls: SqlTokenClass }> =
  new Map([
    ['union', { next: new Set(['all', 'distinct']), cls: 'U' as const }],
    ['order', { next: new Set(['by']), cls: 'B' as const }],
    ['group', { next: new Set(['by']), cls: 'B' as const }],
    ['waitfor', { next: new Set(['delay', 'time']), cls: 'T' as const }],
    ['not', { next: new Set(['in', 'like', 'between', 'regexp', 'rlike']), cls: 'o' as const }],
    ['is', { next: new Set(['not']), cls: 'o' as const }],
    ['sounds', { next: new Set(['like']), cls: 'o' as const }],
  ]);

export const WORD_KEYS: ReadonlySet<number> = new Set(
  [...SQL_WORDS.keys(), ...SQL_FUNCTIONS, ...SQL_WORD_PAIRS.keys()].map((w) =>
    wordKey(w.length, w.charCodeAt(0), w.charCodeAt(w.length - 1)),
  ),
);
