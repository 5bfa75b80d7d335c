// What the audit trail records as read: the guarded fields of an operation, from its document.

import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../../schema/index.ts';
import { fieldPathsOf } from '../../src/policy/field-paths.ts';

const paths = (document: string, operationName: string | null = null) =>
  fieldPathsOf(schema, parse(document), operationName).map((f) => `${f.path} ${f.type}.${f.field} ${f.action}${f.leaf ? ' leaf' : ''}`);

describe('the fields an operation reads', () => {
  it('names each field by its path from the root, under the action of its type, relations under their own', () => {
    expect(paths('{ me { id name accounts { balance } } }')).toEqual([
      'me Query.me customer.read',
      'me.id Customer.id customer.read leaf',
      'me.name Customer.name customer.read leaf',
      'me.accounts Customer.accounts account.read',
      'me.accounts.balance Account.balance account.read leaf',
    ]);
  });

  it('goes through connections, fragments and inline fragments, leaving out aliases, __typename and unknown fragments', () => {
    const document = `query B { customers(first: 2) { edges { node { ...C ... on Customer { phone } __typename } } } node(id: "x") { ... on Product { name } } }
      fragment C on Customer { email mine: name ...Missing }`;
    expect(paths(document, 'B')).toEqual([
      'customers Query.customers customer.read',
      'customers.edges.node.email Customer.email customer.read leaf',
      'customers.edges.node.name Customer.name customer.read leaf',
      'customers.edges.node.phone Customer.phone customer.read leaf',
      'node.name Product.name product.read leaf',
    ]);
  });

  it('lists a field once however often the document selects it', () => {
    expect(paths('{ me { name again: name ... on Customer { name } } }')).toEqual(['me Query.me customer.read', 'me.name Customer.name customer.read leaf']);
  });

  it('takes the named operation, the first without a name, and nothing for an unknown one', () => {
    const document = 'query A { me { id } } query B { products(first: 1) { totalCount } }';
    expect(paths(document, 'B')).toEqual(['products Query.products product.read', 'products.totalCount ProductConnection.totalCount public leaf']);
    expect(paths(document)).toEqual(['me Query.me customer.read', 'me.id Customer.id customer.read leaf']);
    expect(paths(document, 'C')).toEqual([]);
  });

  it('is computed once per document and operation', () => {
    const document = parse('query A { me { id } } query B { me { name } }');
    expect(fieldPathsOf(schema, document, 'A')).toBe(fieldPathsOf(schema, document, 'A'));
    expect(fieldPathsOf(schema, document, 'B')).not.toEqual(fieldPathsOf(schema, document, 'A'));
  });
});
