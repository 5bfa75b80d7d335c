// Context for bench/http-floor.ts: graphql-yoga with its defaults and a plain graphql-js schema,
// one resolver running W1's statement. No token, no policies, no masks: what the stock HTTP and
// GraphQL layers cost before anything of fingate's.

import { GraphQLID, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { createYoga } from 'graphql-yoga';
import { ageBand } from '../../src/data/customers.ts';
import type { Sql } from '../../src/db/database.ts';
import { keyOf, toGlobalId } from '../../src/ids.ts';

interface CustomerRow {
  id: string;
  name: string;
  idNumber: string;
  phone: string;
  email: string | null;
  birthDate: string;
  investorType: string;
}

export function createBareYoga(sql: Sql) {
  const Customer = new GraphQLObjectType<CustomerRow>({
    name: 'Customer',
    fields: {
      id: { type: new GraphQLNonNull(GraphQLID), resolve: (c) => toGlobalId('Customer', c.id) },
      name: { type: GraphQLString },
      idNumber: { type: GraphQLString },
      phone: { type: GraphQLString },
      email: { type: GraphQLString },
      ageBand: { type: GraphQLString, resolve: (c) => ageBand(c.birthDate, new Date(), 'Asia/Shanghai') },
      investorType: { type: GraphQLString },
    },
  });
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: {
        customer: {
          type: Customer,
          args: { id: { type: new GraphQLNonNull(GraphQLID) } },
          resolve: async (_root, args: { id: string }) =>
            (await sql<CustomerRow[]>`select c.* from "customers" "c" where c.id = any(${[keyOf(args.id, 'Customer')]}::bigint[]) and true`)[0] ?? null,
        },
      },
    }),
  });
  return createYoga({ schema, graphqlEndpoint: '/graphql', logging: false, landingPage: false, graphiql: false });
}
