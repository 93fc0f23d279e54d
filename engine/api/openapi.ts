/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the zod schemas of api-schemas.ts and the
 * route table of api-routes.ts (@asteasolutions/zod-to-openapi), served at GET /openapi.json. A route
 * cannot be served without being documented: the server dispatches on the same table.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ErrorBody } from './api-schemas';
import { API_ROUTES } from './api-routes';
import { AuditRecord } from './audit-log';

const errors = (statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [status, { description: ERROR_DESCRIPTIONS[status] ?? 'error', content: { 'application/json': { schema: ErrorBody } } }]));
const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request (the reason names the field).',
  401: 'Missing, unknown, forged or expired token.',
  403: 'The token\'s role does not allow this; nothing changed.',
  404: 'Nobody has this id.',
  413: 'Body too large.',
  502: 'NATS or Temporal refused or failed; retry.',
  503: 'NATS is not connected; retry.',
};

export function openApiDocument(): object {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'A token from NUDGE_API_TOKENS (`nudge api token create`).' });
  for (const route of API_ROUTES) {
    registry.registerPath({
      method: route.method,
      path: route.openApiPath,
      operationId: route.operationId,
      summary: route.summary,
      description: `${route.description}\n\nRole: ${route.role === 'viewer' ? 'viewer or operator' : 'operator'}.`,
      security: [{ bearer: [] }],
      request: {
        ...(route.params ? { params: route.params } : {}),
        ...(route.query ? { query: route.query } : {}),
        ...(route.body ? { body: { required: true, content: { 'application/json': { schema: route.body } } } } : {}),
      },
      responses: {
        200: { description: route.okDescription, content: { 'application/json': { schema: route.response } } },
        ...errors(route.errors),
      },
    });
  }
  registry.registerPath({
    method: 'get', path: '/openapi.json', operationId: 'openApi', summary: 'This document', security: [],
    responses: { 200: { description: 'The OpenAPI 3.1 document.', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } } },
  });
  registry.registerPath({
    method: 'get', path: '/healthz', operationId: 'health', summary: 'Whether NATS is connected', security: [],
    responses: { 200: { description: 'Connected.', content: { 'application/json': { schema: z.object({ ok: z.literal(true) }) } } }, ...errors([503]) },
  });
  // AuditRecord is served by no route: the records of the nudge_audit stream, documented for whoever reads it.
  return new OpenApiGeneratorV31([...registry.definitions, { type: 'schema', schema: AuditRecord }]).generateDocument({
    openapi: '3.1.0',
    info: { title: 'nudge API', version: '1', description: 'Profiles, journeys, export, erase and events for CRM and support tools. Every operator action is written to the JetStream stream nudge_audit.' },
  });
}
