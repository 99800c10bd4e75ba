// A flags-only ResolvedConfig for client-core tests: what resolveConfig returns for --server URL.
import type { ResolvedConfig } from '../../scripts/lib/config.ts';

export function flagsConfig(server: string, overrides: Partial<ResolvedConfig> = {}): ResolvedConfig {
  return {
    source: { kind: 'flags', description: 'test' },
    server,
    insecureSkipTlsVerify: false,
    namespace: 'default',
    namespaceSource: 'default',
    tried: [],
    notes: [],
    ...overrides,
  };
}
