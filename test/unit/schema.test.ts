import { readFileSync } from 'node:fs';
import { buildSchema, getNamedType, isInputObjectType, isInterfaceType, isObjectType, type GraphQLField, type GraphQLInputField } from 'graphql';
import { describe, expect, it } from 'vitest';
import { printedSchema, schema, schemaFile } from '../../schema/index.ts';

/** The public contract, kept in the repository so a clone tests on its own. */
const contractDir = new URL('../../schema/contract/', import.meta.url);
const contract = buildSchema(readFileSync(new URL('contract.graphql', contractDir), 'utf8'));

/** Ours may drop an outer non-null (a policy can hide the value); nothing else may differ. */
const compatible = (ours: string, theirs: string) => ours === theirs || `${ours}!` === theirs;

describe('the printed schema', () => {
  it('is up to date with the code (run `npm run schema` after changing it)', () => {
    expect(readFileSync(schemaFile, 'utf8')).toBe(printedSchema());
  });

  it('contains every type, field and argument of the public contract with its type', () => {
    const missing: string[] = [];
    for (const [name, type] of Object.entries(contract.getTypeMap())) {
      if (name.startsWith('__')) continue;
      const ours = schema.getType(name);
      if (!ours || ours.constructor !== type.constructor) {
        missing.push(name);
        continue;
      }
      if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
        const ourFields = (ours as typeof type).getFields() as Record<string, GraphQLField<unknown, unknown> | GraphQLInputField>;
        for (const [fieldName, field] of Object.entries(type.getFields())) {
          const mine = ourFields[fieldName];
          if (!mine || !compatible(String(mine.type), String(field.type))) {
            missing.push(`${name}.${fieldName}: ${field.type}`);
            continue;
          }
          for (const arg of 'args' in field ? field.args : []) {
            const ourArg = (mine as GraphQLField<unknown, unknown>).args.find((a) => a.name === arg.name);
            if (!ourArg || String(ourArg.type) !== String(arg.type)) missing.push(`${name}.${fieldName}(${arg.name}: ${arg.type})`);
          }
        }
      }
      if ('getValues' in type && 'getValues' in ours) {
        const values = new Set(ours.getValues().map((v) => v.name));
        for (const v of type.getValues()) if (!values.has(v.name)) missing.push(`${name}.${v.name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('declares a policy action on every field of every object and interface type', () => {
    const uncovered: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || !(isObjectType(type) || isInterfaceType(type))) continue;
      for (const field of Object.values(type.getFields())) {
        const action = field.extensions?.action;
        if (typeof action !== 'function' && !(typeof action === 'string' && /^(public|[a-z][a-zA-Z]*\.[a-z][a-zA-Z.]*)$/.test(action))) {
          uncovered.push(`${type.name}.${field.name}`);
        }
      }
    }
    expect(uncovered).toEqual([]);
  });

  it('keeps money out of floats: every amount is a Decimal', () => {
    const floats = Object.values(schema.getTypeMap())
      .filter((type) => isObjectType(type) || isInputObjectType(type))
      .flatMap((type) => Object.values((type as any).getFields() as Record<string, GraphQLField<unknown, unknown>>).map((f) => [type.name, f] as const))
      .filter(([, f]) => getNamedType(f.type).name === 'Float')
      .map(([t, f]) => `${t}.${f.name}`);
    expect(floats).toEqual([]);
  });
});
