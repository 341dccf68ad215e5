/** The example pet-store document loaded as routes, with a validate stage per operation. */
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { type GeneratedRoute, loadOpenApiRoutes } from '../../src/openapi/load.js';
import type { Stage } from '../../src/pipeline/stage.js';
import type { Services } from '../../src/stages/definition.js';
import { validateStageDefinition } from '../../src/stages/validate/index.js';

export const EXAMPLES_DIR = fileURLToPath(new URL('../../examples/', import.meta.url));

export function testServices(config: Record<string, unknown> = {}): Services {
  return {
    logger: pino({ level: 'silent' }),
    metrics: new Registry(),
    configDir: EXAMPLES_DIR,
    dataDir: EXAMPLES_DIR,
    config,
    shared: new Map(),
  };
}

export interface LoadedPetstore {
  readonly routes: Map<string, GeneratedRoute>;
  readonly stages: Map<string, Stage>;
}

export async function loadPetstore(openapi: Record<string, unknown> = {}): Promise<LoadedPetstore> {
  const group = { openapi: { spec: 'petstore.openapi.yaml', upstream: 'app', ...openapi } };
  const generated = await loadOpenApiRoutes(group, EXAMPLES_DIR, ['routes', 0]);
  const services = testServices();
  const shared = await validateStageDefinition.setup!(undefined, services);
  const routes = new Map<string, GeneratedRoute>();
  const stages = new Map<string, Stage>();
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
