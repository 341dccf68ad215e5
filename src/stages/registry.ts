import { identityProviderService } from '../idp/service.js';
import { storeService } from '../services/store.js';
import { authenticateDefinition } from './authn/index.js';
import { authorizeDefinition } from './authz/index.js';
import { corsStage } from './cors/index.js';
import type { ServiceDefinition, StageDefinition } from './definition.js';
import { headersStage } from './headers/index.js';
import { ipFilterStage } from './ip-filter/index.js';
import { rateLimitIdentityStage, rateLimitStage } from './rate-limit/index.js';
import { transformStageDefinition } from './transform/index.js';
import { validateStageDefinition } from './validate/index.js';
import { wafStage } from './waf/index.js';

/**
 * Every stage the gateway knows. Order here does not matter: the pipeline order is STAGE_ORDER
 * in src/pipeline/phases.ts.
 */
// biome-ignore lint/suspicious/noExplicitAny: definitions are heterogeneous in their config types
export const STAGE_DEFINITIONS: readonly StageDefinition<any, any, any>[] = [
  ipFilterStage,
  rateLimitStage,
  rateLimitIdentityStage,
  authenticateDefinition,
  authorizeDefinition,
  validateStageDefinition,
  wafStage,
  transformStageDefinition,
  corsStage,
  headersStage,
];

/** Gateway-wide services (not pipeline stages), set up before the stages. */
// biome-ignore lint/suspicious/noExplicitAny: definitions are heterogeneous in their config types
export const SERVICE_DEFINITIONS: readonly ServiceDefinition<any, any>[] = [storeService, identityProviderService];
