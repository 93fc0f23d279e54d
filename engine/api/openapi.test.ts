/**
 * The OpenAPI document: 3.1, every route of the table documented with its parameters, request and
 * response schemas, every $ref resolving, and the response schemas being the ones the routes return.
 */
import { describe, expect, it } from 'vitest';
import { API_ROUTES } from './api-routes';
import { openApiDocument } from './openapi';

interface Operation {
  operationId: string;
  security: unknown[];
  parameters?: { name: string; in: string; required: boolean }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}
const document = openApiDocument() as { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> } };

function refsOf(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => refsOf(v, found));
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string') found.push(v);
      else refsOf(v, found);
    }
  }
  return found;
}

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 with bearer security', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it.each(API_ROUTES.map((route) => [`${route.method.toUpperCase()} ${route.openApiPath}`, route] as const))('documents %s', (_name, route) => {
    const operation = document.paths[route.openApiPath]?.[route.method];
    expect(operation, 'documented').toBeDefined();
    expect(operation!.operationId).toBe(route.operationId);
    expect(operation!.security).toEqual([{ bearer: [] }]);
    for (const name of Object.keys(route.params?.shape ?? {})) {
      expect(operation!.parameters).toContainEqual(expect.objectContaining({ name, in: 'path', required: true }));
    }
    if (route.body) expect(operation!.requestBody?.content['application/json']?.schema).toBeDefined();
    else expect(operation!.requestBody).toBeUndefined();
    expect(operation!.responses['200']?.content?.['application/json']?.schema).toBeDefined();
    for (const status of route.errors) expect(operation!.responses[String(status)]?.content?.['application/json']?.schema).toEqual({ $ref: '#/components/schemas/Error' });
  });

  it('documents no path the server does not serve', () => {
    const served = new Set([...API_ROUTES.map((r) => `${r.method} ${r.openApiPath}`), 'get /openapi.json', 'get /healthz']);
    const documented = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m} ${path}`));
    expect(new Set(documented)).toEqual(served);
  });

  it('resolves every $ref to a component, and names the schemas of the bodies', () => {
    for (const ref of refsOf(document)) expect(document.components.schemas[ref.replace('#/components/schemas/', '')], ref).toBeDefined();
    expect(Object.keys(document.components.schemas)).toEqual(expect.arrayContaining(['Profile', 'JourneyList', 'UserExport', 'EraseSummary', 'EventsRequest', 'EventsResult', 'Error', 'AuditRecord']));
    expect(document.components.schemas.Profile).toMatchObject({ type: 'object', required: expect.arrayContaining(['id', 'identity', 'traits', 'journeys']) });
    expect(document.components.schemas.AuditRecord).toMatchObject({ required: expect.arrayContaining(['actor', 'action', 'subject', 'at', 'result']) });
  });
});
