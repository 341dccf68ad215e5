import { pgHarness, pgSkipReason } from './helpers.js';
import { storeSuite } from './suite.js';

storeSuite('postgres over verified TLS', pgHarness, await pgSkipReason());
