import { sqliteHarness } from './helpers.js';
import { storeSuite } from './suite.js';

storeSuite('sqlite', sqliteHarness);
