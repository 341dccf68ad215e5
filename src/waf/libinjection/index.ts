/**
 * Portcullis's own tokenising injection detectors, behind the SecLang operators @detectSQLi
 * and @detectXSS. Both take a byte string (one char per byte, 0-255) and run in time linear in
 * its length.
 */
export { detectSQLi, explainSQLi, type SqliFinding, type SqliResult } from './sqli.js';
export { detectXSS, explainXSS, type XssFinding } from './xss.js';
