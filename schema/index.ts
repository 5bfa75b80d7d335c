import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { builder } from './builder.ts';
import './scalars.ts';
import './relay.ts';
import './refs.ts';
import './customers.ts';
import './products.ts';
import './transactions.ts';
import './risk.ts';
import './disclosures.ts';
import './policies.ts';
import './audit.ts';

/** The gateway's schema, built once per process; building fails if any field lacks a policy action. */
export const schema: GraphQLSchema = builder.toSchema();

/** The SDL committed as schema/schema.graphql. */
export const printedSchema = (): string => `${printSchema(lexicographicSortSchema(schema))}\n`;

/** Where the printed SDL lives. */
export const schemaFile = new URL('./schema.graphql', import.meta.url);
