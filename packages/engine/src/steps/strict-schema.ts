import { z } from 'zod';

export type JsonSchema = { [key: string]: unknown };

/**
 * zod -> JSON Schema for OpenAI Structured Outputs in strict mode. Strict mode rejects a schema
 * unless every object lists all its properties as required and forbids extra ones, so this
 * checks the converted schema and throws at import time: a mistake fails every test instead of
 * every production request.
 */
export function toStrictJsonSchema(schema: z.ZodType, name: string): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'output',
    unrepresentable: 'throw',
  }) as JsonSchema;
  delete json.$schema;
  const problems = strictModeProblems(json);
  if (problems.length > 0)
    throw new Error(`schema ${name} is not strict-mode compatible: ${problems.join('; ')}`);
  return json;
}

/** Why a JSON schema would be refused by strict mode; [] when it is fine. Exported for tests. */
export function strictModeProblems(schema: unknown, path = '$'): string[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const s = schema as JsonSchema;
  const problems: string[] = [];
  const types = Array.isArray(s.type) ? s.type : [s.type];
  if (types.includes('object')) {
    const props = Object.keys((s.properties as JsonSchema | undefined) ?? {});
    const required = new Set((s.required as string[] | undefined) ?? []);
    if (s.additionalProperties !== false) problems.push(`${path}: additionalProperties must be false`);
    for (const p of props)
      if (!required.has(p)) problems.push(`${path}.${p}: must be required (use nullable)`);
  }
  for (const [key, value] of Object.entries(s)) {
    if (key === 'properties' && value && typeof value === 'object') {
      for (const [p, sub] of Object.entries(value)) problems.push(...strictModeProblems(sub, `${path}.${p}`));
    } else if (key === 'items') {
      problems.push(...strictModeProblems(value, `${path}[]`));
    } else if ((key === 'anyOf' || key === 'allOf') && Array.isArray(value)) {
      value.forEach((sub, i) => {
        problems.push(...strictModeProblems(sub, `${path}<${key}${i}>`));
      });
    } else if (key === 'oneOf') {
      problems.push(`${path}: oneOf is not supported, use anyOf`);
    }
  }
  return problems;
}
