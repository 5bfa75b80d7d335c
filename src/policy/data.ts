import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { amlPolicy } from '../../plugins/aml.ts';
import { riskQuestionnairePolicy } from '../../plugins/risk-questionnaire.ts';
import type { PolicyData } from '../context.ts';
import { loadPolicyFile } from './file.ts';
import type { PolicyModule } from './types.ts';

/** The folder of versioned policy files. */
export const policiesDir = fileURLToPath(new URL('../../policies/', import.meta.url));

/** Loads the newest version of each data module (until the policy lifecycle chooses versions). */
export async function loadPolicyData(dir = policiesDir): Promise<PolicyData> {
  const aml = amlPolicy();
  const questionnaire = riskQuestionnairePolicy();
  return {
    aml: await newest(dir, aml),
    riskQuestionnaire: await newest(dir, questionnaire),
  };
}

async function newest<Body>(dir: string, module: PolicyModule<Body>): Promise<Body> {
  const files = (await readdir(join(dir, module.name))).filter((f) => /\.v\d+\.yaml$/.test(f));
  const latest = files.sort((a, b) => version(b) - version(a))[0];
  if (!latest) throw new Error(`no ${module.name} policy file in ${dir}`);
  const { file } = await loadPolicyFile(join(dir, module.name, latest), new Map([[module.name, module as PolicyModule]]));
  return file.body as Body;
}

const version = (file: string) => Number(/\.v(\d+)\.yaml$/.exec(file)?.[1]);
