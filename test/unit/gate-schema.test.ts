import SchemaBuilder, { PothosSchemaError, type ObjectRef } from '@pothos/core';
import { describe, expect, it } from 'vitest';
import GatePlugin, { catalogueOf, type RecordSource } from '../../src/policy/gate.ts';
import type { ResourceType } from '../../src/resources.ts';

// The gate checks the schema when it is built: every field decides an action, every type whose
// records a field returns says how it is read, and what the gate must read again it can read.
// A mistake there would otherwise show up as a field nobody decides.

type Row = { id: string };
type Types = PothosSchemaTypes.ExtendDefaultTypes<{}>;
type Builder = PothosSchemaTypes.SchemaBuilder<Types>;

/** A customer type read under `customer.read`, and a query field returning it; `change` edits either. */
function schemaWith(change: { type?: object; field?: object; mutation?: object; define?: (builder: Builder, customer: ObjectRef<Types, Row>) => void } = {}) {
  const builder = new SchemaBuilder<{}>({ plugins: [GatePlugin] });
  const Customer = builder.objectRef<Row>('Customer').implement({
    action: 'customer.read',
    resource: 'Customer',
    fields: (t) => ({ id: t.exposeID('id', { action: 'public' }), phone: t.string({ personal: 'phone', resolve: () => '1' }) }),
    ...change.type,
  });
  builder.queryType({ fields: (t) => ({ customer: t.field({ type: Customer, resolve: () => ({ id: '1' }), ...change.field }) }) });
  if (change.mutation) builder.mutationType({ fields: (t) => ({ change: t.field({ type: Customer, resolve: () => ({ id: '1' }), ...change.mutation }) }) });
  change.define?.(builder as never, Customer);
  return () => builder.toSchema();
}

const records: RecordSource<Row> = { attributes: (row) => ({ id: row.id }) };
const idOnly = (t: never) => ({ id: (t as { exposeID: Function }).exposeID('id', { action: 'public' }) });

/** Building fails with a schema error that starts with the type or field at fault. */
const refused = (build: () => unknown, naming: RegExp) => expect(build).toThrow(expect.objectContaining({ constructor: PothosSchemaError, message: expect.stringMatching(naming) }));

describe('the gate builds a schema', () => {
  it('where every field has an action or is public', () => {
    expect(schemaWith()).not.toThrow();
  });

  it('with a write decided under its own action, whose records it reads again under their read action', () => {
    expect(schemaWith({ type: { records }, mutation: { action: 'customer.update', resource: 'Customer' } })).not.toThrow();
    expect(schemaWith({ type: { records: { load: async () => [] } }, mutation: { action: 'customer.update', resource: 'Customer' } })).not.toThrow();
  });

  it('with a batched to-one relation without arguments read under its records\' read action', () => {
    expect(schemaWith({ field: { batch: async () => [] } })).not.toThrow();
  });
});

describe('the gate refuses to build a schema', () => {
  it('with a field that declares no action', () => {
    const builder = new SchemaBuilder<{}>({ plugins: [GatePlugin] });
    builder.queryType({ fields: (t) => ({ secret: t.string({ resolve: () => 'x' }) }) });
    refused(() => builder.toSchema(), /^Query\.secret /);
  });

  it('with a type read under something that is not resource.verb', () => {
    refused(schemaWith({ type: { action: 'customers' } }), /^Customer: /);
    refused(schemaWith({ type: { action: 'customer.read.all' } }), /^Customer: /);
  });

  it('with an interface read under something that is not resource.verb', () => {
    const builder = new SchemaBuilder<{}>({ plugins: [GatePlugin] });
    const Node = builder.interfaceRef<Row>('Node').implement({ action: 'nodes', fields: idOnly } as never);
    builder.queryType({ fields: (t) => ({ node: t.field({ type: Node, action: 'public', resolve: () => ({ id: '1' }) }) }) });
    refused(() => builder.toSchema(), /^Node: /);
  });

  it('with a type read under an action that names no resource type, or an unknown one', () => {
    refused(schemaWith({ type: { resource: undefined, fields: idOnly } }), /^Customer /);
    refused(schemaWith({ type: { resource: 'Client' as ResourceType } }), /^Customer /);
  });

  it('with a field whose action is not resource.verb', () => {
    // with everything else in order, so only the action itself is at fault
    refused(schemaWith({ type: { records }, field: { action: 'read', resource: 'Customer' } }), /^Query\.customer: /);
    refused(schemaWith({ type: { records }, field: { action: 'customer.read.all', resource: 'Customer' } }), /^Query\.customer: /);
  });

  it('with a personal field on a type that names no resource type', () => {
    const builder = new SchemaBuilder<{}>({ plugins: [GatePlugin] });
    const Card = builder.objectRef<Row>('Card').implement({ action: 'public', fields: (t) => ({ number: t.string({ personal: 'cardNumber', resolve: () => '1' }) }) });
    builder.queryType({ fields: (t) => ({ card: t.field({ type: Card, resolve: () => ({ id: '1' }) }) }) });
    refused(() => builder.toSchema(), /^Card\.number /);
  });

  it('with a field returning records of a type that declares no read action', () => {
    refused(schemaWith({ type: { action: undefined, resource: undefined, fields: idOnly } }), /^Query\.customer /);
  });

  it('with a batched relation that returns a list, takes arguments, or is decided under another action', () => {
    const batch = async () => [];
    refused(schemaWith({ type: { records }, field: { batch, action: 'customer.update', resource: 'Customer' } }), /^Query\.customer: /);
    refused(schemaWith({ define: (b, Customer) => b.queryField('customers', (t) => t.field({ type: [Customer], batch, resolve: () => [] })) }), /^Query\.customers: /);
    refused(
      schemaWith({ define: (b, Customer) => b.queryField('byId', (t) => t.field({ type: Customer, args: { id: t.arg.id() }, batch, resolve: () => null })) }),
      /^Query\.byId: /,
    );
  });

  it('with a field deciding another action than its records\' read action, naming no resource type', () => {
    refused(schemaWith({ mutation: { action: 'customer.update' }, type: { records: { load: async () => [] } } }), /^Mutation\.change: /);
  });

  it('with a write returning records it cannot read again under their read action', () => {
    refused(schemaWith({ mutation: { action: 'customer.update', resource: 'Customer' } }), /^Mutation\.change returns /);
  });
});

describe('the catalogue of a schema', () => {
  it('lists every action a field decides with the resource type it covers, and the personal fields of each type', () => {
    const schema = schemaWith({ type: { records }, mutation: { action: 'customer.update', resource: 'Customer' } })();
    expect(catalogueOf(schema)).toEqual({ actions: { 'customer.read': 'Customer', 'customer.update': 'Customer' }, personal: { Customer: { phone: 'phone' } } });
  });

  it('lists the read action of a type that only a write returns, and not a public type\'s', () => {
    const schema = schemaWith({
      type: { records },
      field: { action: 'public' },
      mutation: { action: 'customer.update', resource: 'Customer' },
      define: (b) => b.objectRef<Row>('Branch').implement({ action: 'public', resource: 'Institution', fields: idOnly } as never),
    })();
    expect(catalogueOf(schema).actions).toEqual({ 'customer.read': 'Customer', 'customer.update': 'Customer' });
  });

  it('refuses an action that covers the rows of two resource types', () => {
    const schema = schemaWith({ type: { records }, mutation: { action: 'customer.read', resource: 'Account' } })();
    expect(() => catalogueOf(schema)).toThrow(/customer\.read/);
  });
});
