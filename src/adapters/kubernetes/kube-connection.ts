import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The client configuration: the given kubeconfig file, else the pod's service account when rdev
 * runs in a cluster, else the user's default kubeconfig. With none of them, or a cluster the
 * client would refuse at its first call, it fails at once saying what to set: the client itself
 * would fall back to `http://localhost:8080` and fail every call with a message about TLS.
 */
export function loadKubeConfig(kubeconfigPath: string | null): KubeConfig {
  const kc = new KubeConfig();
  const userDefault = join(homedir(), '.kube', 'config');
  if (!kubeconfigPath && existsSync(`${SERVICE_ACCOUNT_DIR}/token`)) {
    kc.loadFromCluster();
    return kc;
  }
  const file = kubeconfigPath ?? userDefault;
  if (!kubeconfigPath && !existsSync(file)) {
    throw new Error(
      `RDEV_RUNTIME is kubernetes, but no cluster is configured: KUBECONFIG is unset, ${file} does not exist, and rdev is not running in a pod (no service account token in ${SERVICE_ACCOUNT_DIR}). Set KUBECONFIG to a kubeconfig file, or RDEV_RUNTIME=local to run commands in folders on this machine.`,
    );
  }
  try {
    kc.loadFromFile(file);
  } catch (error) {
    throw new Error(
      `cannot read the kubeconfig ${file}${kubeconfigPath ? ' (KUBECONFIG)' : ''}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new Error(
      `the kubeconfig ${file} has no current context with a cluster: choose one (kubectl config use-context NAME)`,
    );
  }
  if (cluster.server.startsWith('http:') && !cluster.skipTLSVerify) {
    throw new Error(
      `the cluster "${cluster.name}" in the kubeconfig ${file} is served over plain HTTP (${cluster.server}), which the Kubernetes client refuses unless the cluster sets insecure-skip-tls-verify: true; use its https:// address`,
    );
  }
  return kc;
}

/**
 * Where project pods live: the configured namespace, else the pod's own namespace, else the
 * kubeconfig context's namespace, else `default`.
 */
export function resolveNamespace(configured: string | null, kc: KubeConfig): string {
  if (configured) return configured;
  try {
    const own = readFileSync(`${SERVICE_ACCOUNT_DIR}/namespace`, 'utf8').trim();
    if (own) return own;
  } catch {
    // Not in a cluster: fall through to the kubeconfig.
  }
  return kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
}
