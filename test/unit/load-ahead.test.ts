import SchemaBuilder from '@pothos/core';
import { execute, parse, type ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import GatePlugin, { type GateContext } from '../../src/policy/gate.ts';
import type { Decision } from '../../src/policy/types.ts';
import { allow, deny, tablePolicy } from '../support/decision-table.ts';

// Loading ahead, on a small schema: a list's batched relations are resolved for all its records at
// once, level by level (one call per relation and level), and what cannot be is left to each field.

type Transaction = { id: string; productId: string };
type Product = { id: string; issuerId: string };
type Institution = { id: string; name: string };

const transactions: Transaction[] = [
  { id: 't1', productId: 'p1' },
  { id: 't2', productId: 'p2' },
  { id: 't3', productId: 'p1' },
];
const products: Product[] = [
  { id: 'p1', issuerId: 'i1' },
  { id: 'p2', issuerId: 'i2' },
];
const institutions: Institution[] = [
  { id: 'i1', name: 'Fund One' },
  { id: 'i2', name: 'Fund Two' },
];

/** How each relation was resolved: `batch` calls with their parents, `row` calls one by one. */
let calls: string[] = [];
/** A relation whose batch fails: its rows get this error. */
let failing: string | undefined;

function schema() {
  const builder = new SchemaBuilder<{ Context: GateContext }>({ plugins: [GatePlugin] });
  const relation = <P extends { id: string }, T>(name: string, find: (parent: P) => T) => ({
    resolve: (parent: P) => (calls.push(`row ${name} ${parent.id}`), find(parent)),
    batch: async (parents: readonly P[]) => {
      calls.push(`batch ${name} ${parents.map((p) => p.id).join(',')}`);
      if (failing === name) throw new Error(`${name} cannot be loaded`);
      return parents.map(find);
    },
  });
  const InstitutionRef = builder.objectRef<Institution>('Institution').implement({
    action: 'institution.read',
    resource: 'Institution',
    fields: (t) => ({ id: t.exposeID('id', { action: 'public' }), name: t.exposeString('name') }),
  });
  const ProductRef = builder.objectRef<Product>('Product').implement({
    action: 'product.read',
    resource: 'Product',
    fields: (t) => ({
      id: t.exposeID('id', { action: 'public' }),
      issuer: t.field({ type: InstitutionRef, ...relation<Product, Institution>('issuer', (p) => institutions.find((i) => i.id === p.issuerId)!) }),
    }),
  });
  const TransactionRef = builder.objectRef<Transaction>('Transaction').implement({
    action: 'transaction.read',
    resource: 'Transaction',
    fields: (t) => ({
      id: t.exposeID('id', { action: 'public' }),
      product: t.field({ type: ProductRef, ...relation<Transaction, Product>('product', (tx) => products.find((p) => p.id === tx.productId)!) }),
    }),
  });
  builder.queryType({
    fields: (t) => ({
      transactions: t.field({ type: [TransactionRef], resolve: () => transactions }),
      latest: t.field({ type: [TransactionRef], resolve: () => transactions.slice(-1) }),
    }),
  });
  return builder.toSchema();
}

const built = schema();
const readAll: Record<string, Decision> = { 'transaction.read': allow(), 'product.read': allow(), 'institution.read': allow() };

async function run(query: string, decisions: Record<string, Decision> = readAll) {
  calls = [];
  const { policy } = tablePolicy({ decisions });
  const result = (await execute({ schema: built, document: parse(query), contextValue: { policy } })) as ExecutionResult;
  return { result, calls, codes: (result.errors ?? []).map((e) => e.extensions?.code) };
}
const issuers = (result: ExecutionResult) => (result.data!.transactions as { product: { issuer: { name: string } | null } | null }[]).map((t) => t.product?.issuer?.name ?? null);

describe('loading ahead the relations of a list', () => {
  it('resolves each relation for every record at once, level by level (each related record once), and nothing row by row', async () => {
    const { result, calls } = await run('{ transactions { id product { id issuer { name } } } }');
    expect(result.errors).toBeUndefined();
    expect(issuers(result)).toEqual(['Fund One', 'Fund Two', 'Fund One']);
    expect(calls).toEqual(['batch product t1,t2,t3', 'batch issuer p1,p2']);
  });

  it('finds relations selected through fragments and inline fragments', async () => {
    const { result, calls } = await run('{ transactions { ...T } } fragment T on Transaction { ... on Transaction { product { ...P } } } fragment P on Product { issuer { name } }');
    expect(issuers(result)).toEqual(['Fund One', 'Fund Two', 'Fund One']);
    expect(calls).toEqual(['batch product t1,t2,t3', 'batch issuer p1,p2']);
  });

  it('keeps the records of each list apart: two lists selecting the same relation are each loaded ahead', async () => {
    const { result, calls } = await run('{ transactions { product { id } } latest { product { id } } }');
    expect(result.errors).toBeUndefined();
    expect(calls.sort()).toEqual(['batch product t1,t2,t3', 'batch product t3']);
  });

  it('leaves a relation selected under a directive anywhere to its field, row by row', async () => {
    const { result, calls } = await run('query($yes: Boolean = true) { transactions { product { id } product @include(if: $yes) { id } } }');
    expect(result.errors).toBeUndefined();
    expect(calls).toEqual(['row product t1', 'row product t2', 'row product t3']);
  });

  it('leaves to each field a relation its policy denies, which then answers POLICY_DENIED itself', async () => {
    const { result, calls, codes } = await run('{ transactions { id product { id } } }', { ...readAll, 'product.read': deny() });
    expect(calls).toEqual([]);
    expect(codes).toEqual(['POLICY_DENIED', 'POLICY_DENIED', 'POLICY_DENIED']);
    expect(result.data!.transactions).toEqual([
      { id: 't1', product: null },
      { id: 't2', product: null },
      { id: 't3', product: null },
    ]);
  });

  it("gives each record the batch's error when it fails, and loads nothing under it", async () => {
    failing = 'product';
    try {
      const { result, calls } = await run('{ transactions { id product { issuer { name } } } }');
      expect(calls).toEqual(['batch product t1,t2,t3']);
      expect(result.errors?.map((e) => [e.message, e.path?.join('.')])).toEqual([
        ['product cannot be loaded', 'transactions.0.product'],
        ['product cannot be loaded', 'transactions.1.product'],
        ['product cannot be loaded', 'transactions.2.product'],
      ]);
    } finally {
      failing = undefined;
    }
  });
});
