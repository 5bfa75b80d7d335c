import SchemaBuilder from '@pothos/core';
import { execute, parse, type ExecutionResult, type GraphQLObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { matches } from '../../src/policy/condition.ts';
import GatePlugin, { permitOf, type GateContext } from '../../src/policy/gate.ts';
import type { Decision } from '../../src/policy/types.ts';
import { allow, deny, tablePolicy } from '../support/decision-table.ts';

// The resolvers the gate wraps, run on a small schema: what each field asks the request's policy,
// what its resolver gets, and what the decision stream learns from what it returns.

type Row = { id: string; name: string; phone: string; email?: string };
const rows: Row[] = [
  { id: '1', name: 'Li Lei', phone: '13800001234' },
  { id: '2', name: 'Han Meimei', phone: '13900005678' },
];
const attributes = (row: Row) => ({ id: row.id, customerId: row.id });

function schema() {
  const builder = new SchemaBuilder<{ Context: GateContext }>({ plugins: [GatePlugin] });
  // what the records the permit covers are, as a data function would filter them
  const covered = (args: object) => rows.filter((row) => matches(permitOf(args).rows, attributes(row)));
  const Region = builder.enumType('Region', { values: ['NORTH', 'SOUTH'] as const });
  // node(id:), as schema/relay.ts declares it: public, its records read under the action the id names
  const Node = builder.interfaceRef<Row>('Node').implement({ action: 'public', resolveType: () => 'Customer', fields: (t) => ({ id: t.exposeID('id') }) });
  // a write's answer that holds no records: nothing to read again
  const Ack = builder.objectRef<{ ok: boolean }>('Ack').implement({ action: 'public', fields: (t) => ({ ok: t.exposeBoolean('ok') }) });
  const Customer = builder.objectRef<Row>('Customer').implement({
    interfaces: [Node],
    action: 'customer.read',
    resource: 'Customer',
    records: { attributes },
    fields: (t) => ({
      id: t.exposeID('id', { action: 'public' }),
      name: t.exposeString('name', { personal: 'name' }),
      phone: t.string({ personal: 'phone', resolve: (row) => Promise.resolve(row.phone) }),
      permit: t.string({ action: 'public', resolve: () => 'public fields get no permit' }),
      tags: t.stringList({ resolve: () => ['vip'] }),
      // a property read under an action of its own: the gate decides it
      email: t.exposeString('email', { nullable: true, action: 'customer.update' }),
      region: t.field({ type: Region, resolve: () => 'NORTH' as const }),
    }),
  });
  // a page of customers, as schema/relay.ts arranges it: the field returning it decides their read
  const Edge = builder.objectRef<{ node: Row }>('CustomerEdge').implement({
    action: 'public',
    fields: (t) => ({ node: t.expose('node', { type: Customer, action: 'public' }), cursor: t.string({ action: 'public', resolve: (edge) => edge.node.id }) }),
  });
  const Page = builder.objectRef<{ rows: Row[]; first?: Row }>('CustomerConnection').implement({
    action: 'public',
    connectionOf: 'Customer',
    fields: (t) => ({
      edges: t.field({ type: [Edge], resolve: (page) => page.rows.map((node) => ({ node })) }),
      // a property, but a record this field decides itself
      first: t.expose('first', { type: Customer, nullable: true }),
    }),
  });
  builder.queryType({
    fields: (t) => ({
      customer: t.field({ type: Customer, nullable: true, args: { id: t.arg.id({ required: true }) }, resolve: (_, args) => covered(args).find((r) => r.id === args.id) ?? null }),
      customers: t.field({ type: [Customer], resolve: (_, args) => covered(args) }),
      page: t.field({ type: Page, resolve: (_, args) => ({ rows: covered(args) }) }),
      node: t.field({
        type: Node,
        nullable: true,
        args: { id: t.arg.id({ required: true }) },
        action: () => 'customer.read',
        resolve: (_, args) => covered(args).find((r) => r.id === args.id) ?? null,
      }),
      // a list with holes: a record gone between reading its key and loading it
      someCustomers: t.field({ type: t.listRef(Customer, { nullable: true }), resolve: (_, args) => [...covered(args), null] }),
      brokenCustomer: t.field({
        type: Customer,
        nullable: true,
        resolve: async () => {
          throw new Error('the read failed');
        },
      }),
    }),
  });
  builder.mutationType({
    fields: (t) => ({
      touch: t.field({ type: Ack, action: 'customer.update', resource: 'Customer', resolve: () => ({ ok: true }) }),
      rename: t.field({
        type: Customer,
        nullable: true,
        action: 'customer.update',
        resource: 'Customer',
        args: { id: t.arg.id({ required: true }), fail: t.arg.boolean() },
        resolve: async (_, args) => {
          const permit = permitOf(args);
          const row = rows.find((r) => r.id === args.id)!;
          permit.records!.decide({ type: 'Customer', id: row.id, attributes: attributes(row), facts: {} });
          if (args.fail) throw new Error('the write failed');
          return row;
        },
      }),
    }),
  });
  return builder.toSchema();
}

// built in each test, not once for the file: mutation testing sees only what a test runs
async function run(query: string, decisions: Record<string, Decision>, signal?: AbortSignal) {
  const { policy } = tablePolicy({ decisions });
  const result = (await execute({ schema: schema(), document: parse(query), contextValue: { policy, signal } })) as ExecutionResult;
  return { result, policy, codes: (result.errors ?? []).map((e) => e.extensions?.code) };
}

const own = (id: string) => allow({ rows: { op: 'eq', field: 'customerId', value: id } });

describe('the gate, resolving fields', () => {
  it('resolves public fields without deciding anything', async () => {
    const { result, policy } = await run('{ customers { id permit } }', { 'customer.read': allow() });
    expect(result).toEqual({ data: { customers: [{ id: '1', permit: 'public fields get no permit' }, { id: '2', permit: 'public fields get no permit' }] } });
    expect(policy.stream().decisions.map((d) => d.action)).toEqual(['customer.read']);
  });

  it('hands each resolver the permit of its action, limiting the rows it reads', async () => {
    const { result, policy } = await run('{ customers { id name } }', { 'customer.read': own('2') });
    expect(result).toEqual({ data: { customers: [{ id: '2', name: 'Han Meimei' }] } });
    expect(policy.stream().decisions[0]).toMatchObject({ action: 'customer.read', resourceIds: ['2'] });
  });

  it('notes the records of a list with holes, and keeps the holes', async () => {
    const { result, policy } = await run('{ someCustomers { id } }', { 'customer.read': own('1') });
    expect(result).toEqual({ data: { someCustomers: [{ id: '1' }, null] } });
    expect(policy.stream().decisions[0]!.resourceIds).toEqual(['1']);
  });

  it('notes the record a to-one field returned, and none for null', async () => {
    const found = await run('{ customer(id: "1") { id } }', { 'customer.read': allow() });
    expect(found.policy.stream().decisions[0]!.resourceIds).toEqual(['1']);
    const missing = await run('{ customer(id: "3") { id } }', { 'customer.read': allow() });
    expect(missing.result.data).toEqual({ customer: null });
    expect(missing.policy.stream().decisions[0]!.resourceIds).toEqual([]);
  });

  it('answers a denied field with POLICY_DENIED and resolves nothing under it', async () => {
    const { result, codes } = await run('{ customer(id: "1") { id name } }', { 'customer.read': deny() });
    expect(result.data).toEqual({ customer: null });
    expect(codes).toEqual(['POLICY_DENIED']);
  });

  it('hides and masks the fields its read obliges, and leaves the rest', async () => {
    const { result, policy } = await run('{ customers { name phone } }', { 'customer.read': allow({ hide: ['name'], mask: { phone: { keepStart: 3, keepEnd: 4 } } }) });
    expect(result).toEqual({ data: { customers: [{ name: null, phone: '138****1234' }, { name: null, phone: '139****5678' }] } });
    expect(policy.report()).toMatchObject({ hidden: ['customers.0.name', 'customers.1.name'], masked: ['customers.0.phone', 'customers.1.phone'] });
  });

  it('decides node(id:) under the action its id names, and notes the record', async () => {
    const { result, policy } = await run('{ node(id: "1") { id ... on Customer { name } } }', { 'customer.read': own('1') });
    expect(result).toEqual({ data: { node: { id: '1', name: 'Li Lei' } } });
    expect(policy.stream().decisions.map((d) => [d.action, d.resourceIds])).toEqual([['customer.read', ['1']]]);
    // decided at node, though the document names no customer field: its path says where
    expect(policy.stream().decisions[0]!.fieldPaths).toContain('node');
    const other = await run('{ node(id: "2") { id } }', { 'customer.read': own('1') });
    expect(other.result).toEqual({ data: { node: null } });
  });

  it('starts no field once the request has passed its deadline', async () => {
    const { result, codes } = await run('{ customers { id } }', { 'customer.read': allow() }, AbortSignal.abort(Object.assign(new Error('too late'), { extensions: { code: 'TIMEOUT' } })));
    expect(result.data).toEqual({ customers: null });
    expect(codes).toEqual(['TIMEOUT']);
  });
});

describe('the gate, building the schema', () => {
  const fields = (type = 'Customer') => (schema().getType(type) as GraphQLObjectType).getFields();

  it('reads scalars, lists of them and enums under their type\'s action', () => {
    const customer = fields();
    for (const name of ['name', 'phone', 'tags', 'region']) expect(customer[name]!.extensions).toMatchObject({ action: 'customer.read' });
    expect(customer.phone!.extensions).toMatchObject({ personal: 'phone' });
    expect(customer.tags!.extensions).not.toHaveProperty('gate');
  });

  it('marks as plain the properties read as they are, which need no resolver of their own', () => {
    const plain = (type: string) => Object.values(fields(type)).filter((f) => f.extensions.plain).map((f) => f.name);
    // not email (a property, but decided under an action of its own), nor computed fields
    expect(plain('Customer')).toEqual(['id', 'name']);
    // an edge's node: a public property holding a record a list field decided
    expect(plain('CustomerEdge')).toEqual(['node']);
    // public but computed, and a property decided under its records' read action
    expect(plain('CustomerConnection')).toEqual([]);
    expect(plain('Query')).toEqual([]);
  });

  it('decides a page of records once, under their read action, and notes the records on it', async () => {
    const { result, policy } = await run('{ page { edges { cursor node { id name } } } }', { 'customer.read': own('1') });
    expect(result).toEqual({ data: { page: { edges: [{ cursor: '1', node: { id: '1', name: 'Li Lei' } }] } } });
    expect(policy.stream().decisions.map((d) => [d.action, d.resourceIds])).toEqual([['customer.read', ['1']]]);
  });
});

describe('the gate, resolving writes', () => {
  it('reads the payload again under the read permit and notes it', async () => {
    const { result, policy } = await run('mutation { rename(id: "1") { id name } }', { 'customer.update': allow(), 'customer.read': allow() });
    expect(result).toEqual({ data: { rename: { id: '1', name: 'Li Lei' } } });
    const read = policy.stream().decisions.find((d) => d.action === 'customer.read' && !d.input.resource);
    expect(read?.resourceIds).toEqual(['1']);
  });

  it('answers a write whose payload holds no records without reading anything again', async () => {
    const { result, policy } = await run('mutation { touch { ok } }', { 'customer.update': allow() });
    expect(result).toEqual({ data: { touch: { ok: true } } });
    expect(policy.stream().decisions.map((d) => d.action)).toEqual(['customer.update']);
  });

  it('answers NOT_FOUND for a payload the caller may not read', async () => {
    const { result, codes } = await run('mutation { rename(id: "1") { id } }', { 'customer.update': allow(), 'customer.read': own('2') });
    expect(result.data).toEqual({ rename: null });
    expect(codes).toEqual(['NOT_FOUND']);
  });

  it('marks nothing as failed when a read fails: a read changes nothing to undo', async () => {
    const { codes, policy } = await run('{ customers { id } brokenCustomer { id } }', { 'customer.read': allow() });
    expect(codes).toEqual([undefined]);
    expect(policy.stream().decisions.map((d) => [d.action, d.failed])).toEqual([['customer.read', false]]);
  });

  it('marks what a failed write decided as failed, and keeps reads decided before it', async () => {
    const { codes, policy } = await run('mutation { rename(id: "1", fail: true) { id } }', { 'customer.update': allow(), 'customer.read': allow() });
    expect(codes).toEqual([undefined]);
    expect(policy.stream().decisions.map((d) => [d.action, d.input.resource?.id ?? null, d.failed])).toEqual([
      ['customer.update', null, true],
      ['customer.update', '1', true],
    ]);
  });
});
