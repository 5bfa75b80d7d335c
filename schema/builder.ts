import SchemaBuilder from '@pothos/core';
import type { GatewayContext } from '../src/context.ts';
import GatePlugin from '../src/policy/gate.ts';

/** The one schema builder: every field passes through the policy gate (src/policy/gate.ts). */
export const builder = new SchemaBuilder<{
  Context: GatewayContext;
  DefaultFieldNullability: false;
  Scalars: {
    ID: { Input: string; Output: string };
    DateTime: { Input: Date; Output: Date };
    Date: { Input: string; Output: string };
    Decimal: { Input: string; Output: string };
    JSON: { Input: unknown; Output: unknown };
  };
}>({
  plugins: [GatePlugin],
  defaultFieldNullability: false,
});

builder.queryType({});
builder.mutationType({});
