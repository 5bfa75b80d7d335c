import { z } from 'zod';
import { engines } from './engines.ts';
import { headerSchema, regoSchema } from './file.ts';
import type { PolicyModule } from './types.ts';

/** Where the editor schema is committed; policy files point at it with `$schema`. */
export const jsonSchemaFile = new URL('../../policies/policy-file.schema.json', import.meta.url);

/**
 * A JSON Schema for policy files, one branch per module (header + that module's body), so editors
 * validate and complete a file as it is typed. Generated from the same zod schemas the loader uses.
 */
export function policyFileJsonSchema(modules: readonly PolicyModule[]): string {
  const branches = modules.filter((module) => module.body).map((module) => {
    if (!(module.body instanceof z.ZodObject)) throw new Error(`module ${module.name}: the body schema must be an object`);
    return z.strictObject({
      $schema: z.string().optional(),
      ...headerSchema.shape,
      module: z.literal(module.name),
      engine: z.literal(module.engine),
      ...(engines.get(module.engine)?.wasm ? { rego: regoSchema } : {}),
      ...module.body.shape,
    }).describe(`${module.name}: ${module.description}`);
  });
  const schema = z.toJSONSchema(z.union(branches), { io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify({ ...schema, title: 'fingate policy file' }, null, 2)}\n`;
}
