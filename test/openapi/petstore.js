/** The example pet-store document loaded as routes, with a validate stage per operation. */
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { loadOpenApiRoutes } from '../../src/openapi/load.js';
import { validateStageDefinition } from '../../src/stages/validate/index.js';
export const EXAMPLES_DIR = fileURLToPath(new URL('../../examples/', import.meta.url));
export function testServices(config = {}) {
  return {
    logger: pino({ level: 'silent' }),
    metrics: new Registry(),
    configDir: EXAMPLES_DIR,
    dataDir: EXAMPLES_DIR,
    config,
    shared: new Map(),
  };
}
export async function loadPetstore(openapi = {}) {
  const group = { openapi: { spec: 'petstore.openapi.yaml', upstream: 'app', ...openapi } };
  const generated = await loadOpenApiRoutes(group, EXAMPLES_DIR, ['routes', 0]);
  const services = testServices();
  const shared = await validateStageDefinition.setup(undefined, services);
  const routes = new Map();
  const stages = new Map();
  generated.forEach((route, i) => {
    routes.set(route.name, route);
    const stage = validateStageDefinition.create(
      { name: route.name, public: route.public === true, settings: route.validation, route, path: ['routes', i] },
      shared,
      services,
    );
    if (stage) stages.set(route.name, stage);
  });
  return { routes, stages };
}
//# sourceMappingURL=petstore.js.map
