import { json } from './json.js';
import { multipart } from './multipart.js';
import type { BodyProcessor } from './types.js';
import { urlencoded } from './urlencoded.js';
import { xml } from './xml.js';

/** Request body processors by the name `ctl:requestBodyProcessor` uses. */
export const BODY_PROCESSORS: ReadonlyMap<string, BodyProcessor> = new Map([
  ['URLENCODED', urlencoded],
  ['MULTIPART', multipart],
  ['JSON', json],
  ['XML', xml],
]);
