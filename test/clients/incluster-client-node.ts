// @kubernetes/client-node in a pod: loadFromCluster(), read the gateway DaemonSet, then list nodes
// (which the default service account may not do).
//
// Usage: npx tsx test/clients/incluster-client-node.ts NAMESPACE
// Prints `daemonset NAME desired=N ready=N`, then `nodes: HTTP 403 <message>`; exits 0 when both
// calls behaved so, 1 otherwise.
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';

const namespace = process.argv[2] ?? 'default';
const kubeConfig = new KubeConfig();
kubeConfig.loadFromCluster();
const daemonset = await kubeConfig.makeApiClient(AppsV1Api).readNamespacedDaemonSet({ name: 'gateway', namespace });
console.log(
  `daemonset ${daemonset.metadata?.name} desired=${daemonset.status?.desiredNumberScheduled} ready=${daemonset.status?.numberReady}`,
);
try {
  await kubeConfig.makeApiClient(CoreV1Api).listNode();
  console.log('nodes: listed, expected 403');
  process.exit(1);
} catch (error) {
  const { code, body } = error as { code?: number; body?: string };
  console.log(`nodes: HTTP ${code} ${JSON.parse(body ?? '{}').message}`);
  process.exit(code === 403 ? 0 : 1);
}
