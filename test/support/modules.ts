// The policy modules the project configures and the schema's catalogue, as the gateway loads them.
import { loadConfig } from '../../src/config.ts';
import { catalogue } from '../../src/gateway.ts';
import { configuredModules } from '../../src/policy/commands.ts';

export { catalogue };

/** The configured policy modules (plugins/index.ts). */
export const modules = await configuredModules(loadConfig({}));

/** The same, by name. */
export const modulesByName = new Map(modules.map((m) => [m.name, m]));
