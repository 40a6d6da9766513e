// Builds the provider a generation role names. Which role uses which provider is the profile's
// business; this module only constructs clients. The SDK-backed providers are imported on first
// use: loading the AWS and OpenAI SDKs costs more than a fully cached `exp run` itself.

import { unreachable } from '../../result.js';
import type { Provider, Role } from '../types.js';
import { OFFLINE_MODEL, offlineProvider } from './offline.js';

export async function createProvider(role: Role): Promise<Provider> {
  switch (role.provider) {
    case 'openai': {
      const { openAiProvider } = await import('./openai.js');
      return openAiProvider(role.baseURL === undefined ? {} : { baseURL: role.baseURL });
    }
    case 'bedrock': {
      const { bedrockProvider } = await import('./bedrock.js');
      return bedrockProvider({
        ...(role.region === undefined ? {} : { region: role.region }),
        ...(role.endpoint === undefined ? {} : { endpoint: role.endpoint }),
      });
    }
    case 'offline':
      return offlineProvider();
    default:
      return unreachable(role.provider);
  }
}

/**
 * The model id a role really resolves to, which enters call and step keys. The offline
 * generator's is its own version, whatever model name a profile gives it: a change to what it
 * writes is a new version, so nothing cached from the old one is reused.
 */
export function resolvedModel(role: Pick<Role, 'provider' | 'model'>): string {
  return role.provider === 'offline' ? OFFLINE_MODEL : role.model;
}

/** The generator id every record carries: `<provider>:<resolved model>`; never passes an offline one for an LLM. */
export function generatorId(role: Pick<Role, 'provider' | 'model'>): string {
  return `${role.provider}:${resolvedModel(role)}`;
}
