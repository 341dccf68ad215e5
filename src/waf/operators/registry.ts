import { NameRegistry } from '../transformations/name-registry.js';
import { beginsWith } from './begins-with.js';
import { contains } from './contains.js';
import { containsWord } from './contains-word.js';
import { detectSQLi } from './detect-sqli.js';
import { detectXSS } from './detect-xss.js';
import { endsWith } from './ends-with.js';
import { eq } from './eq.js';
import { ge } from './ge.js';
import { gt } from './gt.js';
import { ipMatch } from './ip-match.js';
import { ipMatchFromFile } from './ip-match-from-file.js';
import { le } from './le.js';
import { lt } from './lt.js';
import { noMatch } from './no-match.js';
import { pm } from './pm.js';
import { pmFromFile } from './pm-from-file.js';
import { rx } from './rx.js';
import { streq } from './streq.js';
import { strmatch } from './strmatch.js';
import type { OperatorFactory } from './types.js';
import { unconditionalMatch } from './unconditional-match.js';
import { UNSUPPORTED, unsupportedOperator } from './unsupported.js';
import { validateByteRange } from './validate-byte-range.js';
import { validateUrlEncoding } from './validate-url-encoding.js';
import { validateUtf8Encoding } from './validate-utf8-encoding.js';
import { verifyCC } from './verify-cc.js';
import { within } from './within.js';

/**
 * Every operator by its SecLang name, without the `@` (`@rx` is `rx`). Lookups ignore case, as
 * ModSecurity's parser does. Operators ModSecurity has but Portcullis refuses are present too:
 * their factory throws a plain sentence giving the reason.
 */
export const OPERATORS: ReadonlyMap<string, OperatorFactory> = new NameRegistry<OperatorFactory>([
  ['rx', rx],
  ['pm', pm],
  ['pmFromFile', pmFromFile],
  ['pmf', pmFromFile],
  ['streq', streq],
  ['strmatch', strmatch],
  ['contains', contains],
  ['containsWord', containsWord],
  ['beginsWith', beginsWith],
  ['endsWith', endsWith],
  ['within', within],
  ['eq', eq],
  ['ge', ge],
  ['gt', gt],
  ['le', le],
  ['lt', lt],
  ['validateByteRange', validateByteRange],
  ['validateUrlEncoding', validateUrlEncoding],
  ['validateUtf8Encoding', validateUtf8Encoding],
  ['ipMatch', ipMatch],
  ['ipMatchFromFile', ipMatchFromFile],
  ['ipMatchF', ipMatchFromFile],
  ['unconditionalMatch', unconditionalMatch],
  ['noMatch', noMatch],
  ['detectSQLi', detectSQLi],
  ['detectXSS', detectXSS],
  ['verifyCC', verifyCC],
  ...UNSUPPORTED.map(([name, reason]) => [name, unsupportedOperator(name, reason)] as const),
]);
