/**
 * The detectors as they were before their cost work (commit 313d6b0), kept verbatim as the
 * oracle of src/waf/libinjection/equivalence.test.ts: every faster version must answer exactly
 * as these do. Never used at run time; change them only together with a deliberate change of
 * the detectors' answers.
 */
export { detectSQLi, explainSQLi } from './sqli.js';
export { detectXSS, explainXSS } from './xss.js';
